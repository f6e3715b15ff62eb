// SPDX-License-Identifier: MIT
// widgets.cpp — libcqt-widgets: the C API of cqt/widgets.h over QtWidgets.
//
// Every entry point checks, in this order and before touching any widget:
// a GUI application exists, the caller is its thread (pitfall P13), the
// handle is in the table of live handles. Handles are freed when their
// QWidget is destroyed, so a dead handle is refused, never dereferenced.
#include "widgets-private.h"
#include "../core/qt-compat.h"
#include "../core/cqt-internal.h" // cqt__gui_factory

#include <QtCore/QFileInfo>
#include <QtCore/QPointer>
#include <QtGui/QCloseEvent>
#include <QtGui/QFontDatabase>
#include <QtGui/QFontInfo>
#include <QtGui/QImageWriter>
#include <QtGui/QKeyEvent>
#include <QtGui/QKeySequence>
#include <QtGui/QPixmap>
#include <QtWidgets/QApplication>
#include <QtWidgets/QBoxLayout>
#include <QtWidgets/QCheckBox>
#include <QtWidgets/QDoubleSpinBox>
#include <QtWidgets/QGridLayout>
#include <QtWidgets/QGroupBox>
#include <QtWidgets/QLabel>
#include <QtWidgets/QMainWindow>
#include <QtWidgets/QPlainTextEdit>
#include <QtWidgets/QProgressBar>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QScrollBar>
#include CQT_QSHORTCUT_HEADER
#include <QtWidgets/QSlider>
#include <QtWidgets/QSpinBox>
#include <QtWidgets/QStatusBar>

#include <atomic>
#include <climits>
#include <cmath>
#include <cstring>
#include <unordered_set>
#include <vector>

// Exported by QtGui; what QTest uses to offer a key press to the shortcut map.
Q_GUI_EXPORT bool qt_sendShortcutOverrideEvent(QObject *o, ulong timestamp, int k,
                                               Qt::KeyboardModifiers mods, const QString &text,
                                               bool autorep, ushort count);

namespace {
constexpr uint32_t kWidgetMagic = 0x43515457u; // "CQTW"
}

struct cqt_widget {
    uint32_t magic = kWidgetMagic;
    cqt_widget_kind kind;
    QWidget *w = nullptr;
    QBoxLayout *box = nullptr;   // window content, box, group box
    QGridLayout *grid = nullptr; // grid
    int columns = 0, next = 0;   // grid filling
    cqt_widget *window = nullptr;
    cqt_widget *in_grid = nullptr; // the grid holding this widget
};

namespace {

using cqtw::guard;

// All touched in the GUI thread only (after check_gui).
std::unordered_set<cqt_widget *> g_live;
std::vector<QPointer<QWidget>> g_windows;
bool g_hook_registered = false;
int g_depth = 0; // callbacks running now
std::atomic<uint64_t> g_next_id{1};

// ---- registrations --------------------------------------------------------

class Reg : public QObject {
public:
    enum Kind { Clicked, Toggled, Value, Shortcut, Close };
    Reg(QObject *parent, Kind k, void (*f)(void), void *ud, cqt_destroy_fn d)
        : QObject(parent), kind(k), fn(f), user_data(ud), destroy(d)
    {
    }
    ~Reg() override
    {
        delete shortcut.data();
        if (destroy) {
            cqt_destroy_fn d = destroy;
            destroy = nullptr;
            d(user_data);
        }
    }
    uint64_t id = g_next_id.fetch_add(1);
    Kind kind;
    void (*fn)(void);
    void *user_data;
    cqt_destroy_fn destroy;
    int running = 0;
    bool dead = false;
    QPointer<QShortcut> shortcut;
};

// Runs a registration's fn. A disconnect from inside it only marks the
// registration; it is deleted here, after the fn returned.
template <class F>
void dispatch(Reg *r, F &&call)
{
    if (r->dead)
        return;
    ++r->running;
    ++g_depth;
    call();
    --g_depth;
    --r->running;
    if (r->dead && r->running == 0)
        delete r;
}

void end_reg(Reg *r)
{
    r->dead = true;
    if (r->shortcut)
        r->shortcut->setEnabled(false);
    if (r->running == 0)
        delete r;
}

class Window : public QMainWindow {
public:
    cqt_widget *handle = nullptr;
    QPointer<Reg> close_reg;

protected:
    void closeEvent(QCloseEvent *e) override
    {
        Reg *r = close_reg.data();
        if (!r || r->dead) {
            e->accept();
            cqt_app_quit(0);
            return;
        }
        bool accept = true;
        cqt_widget *h = handle;
        dispatch(r, [&] {
            accept = reinterpret_cast<cqt_window_close_fn>(r->fn)(r->user_data, h);
        });
        if (accept)
            e->accept();
        else
            e->ignore();
    }
};

// ---- checks ---------------------------------------------------------------

int check_gui(const char *fn)
{
    if (!cqt_app_is_running())
        return cqt_set_last_error(CQT_ESTATE,
                                  "%s: no application; call cqt_app_init(&argc, argv, CQT_APP_GUI) "
                                  "first", fn);
    cqt_thread *self = cqt_thread_current();
    if (self != cqt_thread_main())
        return cqt_set_last_error(CQT_EWRONGTHREAD,
                                  "%s: called from thread '%s', but widgets belong to the GUI "
                                  "thread 'main' (pitfall P13); nothing was touched. Send the "
                                  "update to the main thread: cqt_invoke() on an object living "
                                  "there, or a queued signal",
                                  fn, cqt_thread_name(self));
    if (!qobject_cast<QApplication *>(QCoreApplication::instance()))
        return cqt_set_last_error(CQT_ESTATE,
                                  "%s: the application is a core one; widgets need "
                                  "cqt_app_init(..., CQT_APP_GUI)", fn);
    return CQT_OK;
}

// App, thread, then the handle. @what names the argument in messages.
int enter(const char *fn, const cqt_widget *h, const char *what = "widget")
{
    int rc = check_gui(fn);
    if (rc != CQT_OK)
        return rc;
    if (!h)
        return cqt_set_last_error(CQT_EINVAL, "%s: %s is NULL; pass a widget handle", fn, what);
    if (!g_live.count(const_cast<cqt_widget *>(h)))
        return cqt_set_last_error(CQT_EINVAL,
                                  "%s: %s %p is not a live widget (its window was freed, or it "
                                  "is not a cqt_widget)", fn, what, static_cast<const void *>(h));
    return CQT_OK;
}

int wrong_kind(const char *fn, const cqt_widget *h, const char *kinds)
{
    return cqt_set_last_error(CQT_EINVAL, "%s: the widget is a %s; this applies to %s", fn,
                              cqt_widget_kind_name(h->kind), kinds);
}

QString qs(const char *s)
{
    return s ? QString::fromUtf8(s) : QString();
}

bool is_finite(double v)
{
    return std::isfinite(v);
}

int clamp_int(double v)
{
    if (!(v > double(INT_MIN)))
        return INT_MIN;
    if (!(v < double(INT_MAX)))
        return INT_MAX;
    return int(std::lround(v));
}

// ---- the application ------------------------------------------------------

void *make_app(int *argc, char **argv)
{
    try {
        // QApplication keeps a reference to *argc: cqt_app_init documents
        // that argc must outlive the application.
        auto *a = new QApplication(*argc, argv);
        // Windows quit through their close handler (or cqt_app_quit), never
        // behind cqt's back.
        a->setQuitOnLastWindowClosed(false);
        return static_cast<void *>(static_cast<QCoreApplication *>(a));
    } catch (...) {
        return nullptr;
    }
}

// What libcqt's cqt_app_init(CQT_APP_GUI) finds by name in Qt's type
// registry: default-constructed, it holds make_app (cqt-internal.h).
struct GuiAppFactory : cqt__gui_factory {
    GuiAppFactory() : cqt__gui_factory{make_app} {}
};

void register_gui_factory()
{
    qRegisterMetaType<GuiAppFactory>(CQT__GUI_FACTORY_TYPE);
}

__attribute__((constructor)) void register_on_load()
{
    register_gui_factory();
}

// At cqt_app_shutdown: free the windows still open, so their registrations'
// destroy functions run while the QApplication lives.
int shutdown_hook(void *, int)
{
    std::vector<QPointer<QWidget>> windows;
    windows.swap(g_windows);
    for (auto &w : windows)
        delete w.data();
    g_hook_registered = false;
    return CQT_OK;
}

// ---- construction ---------------------------------------------------------

cqt_widget *adopt(cqt_widget_kind kind, QWidget *w, cqt_widget *window)
{
    auto *h = new cqt_widget;
    h->kind = kind;
    h->w = w;
    h->window = window ? window : h;
    g_live.insert(h);
    QObject::connect(w, &QObject::destroyed, [h] {
        g_live.erase(h);
        h->magic = 0;
        delete h;
    });
    return h;
}

bool is_container(cqt_widget_kind k)
{
    return k == CQT_WIDGET_WINDOW || k == CQT_WIDGET_BOX || k == CQT_WIDGET_GRID ||
           k == CQT_WIDGET_GROUP_BOX || k == CQT_WIDGET_STATUS_BAR;
}

void place(cqt_widget *parent, cqt_widget *child)
{
    switch (parent->kind) {
    case CQT_WIDGET_GRID: {
        int i = parent->next++;
        parent->grid->addWidget(child->w, i / parent->columns, i % parent->columns);
        child->in_grid = parent;
        break;
    }
    case CQT_WIDGET_STATUS_BAR:
        static_cast<QStatusBar *>(parent->w)->addPermanentWidget(child->w);
        break;
    default:
        parent->box->addWidget(child->w);
        break;
    }
}

// Validates @parent, builds the widget with make() and places it.
template <class Make>
cqt_widget *create(const char *fn, cqt_widget *parent, cqt_widget_kind kind, Make &&make)
{
    return guard(fn, static_cast<cqt_widget *>(nullptr), [&]() -> cqt_widget * {
        if (enter(fn, parent, "parent") != CQT_OK)
            return nullptr;
        if (!is_container(parent->kind)) {
            cqt_set_last_error(CQT_EINVAL,
                               "%s: the parent is a %s, which holds no widgets; pass a window, "
                               "box, grid, group box or status bar", fn,
                               cqt_widget_kind_name(parent->kind));
            return nullptr;
        }
        QWidget *w = make();
        if (!w)
            return nullptr;
        cqt_widget *h = adopt(kind, w, parent->window);
        place(parent, h);
        return h;
    });
}

cqt_widget *container(const char *fn, cqt_widget *parent, cqt_widget_kind kind,
                      QWidget *(*make)(), cqt_orientation o, int columns)
{
    return guard(fn, static_cast<cqt_widget *>(nullptr), [&]() -> cqt_widget * {
        cqt_widget *h = create(fn, parent, kind, make);
        if (!h)
            return nullptr;
        if (kind == CQT_WIDGET_GRID) {
            h->grid = new QGridLayout(h->w);
            h->grid->setContentsMargins(0, 0, 0, 0);
            h->columns = columns;
        } else {
            h->box = new QBoxLayout(o == CQT_VERTICAL ? QBoxLayout::TopToBottom
                                                      : QBoxLayout::LeftToRight,
                                    h->w);
            if (kind == CQT_WIDGET_BOX)
                h->box->setContentsMargins(0, 0, 0, 0);
        }
        return h;
    });
}

bool orientation_ok(const char *fn, int o)
{
    if (o == CQT_HORIZONTAL || o == CQT_VERTICAL)
        return true;
    cqt_set_last_error(CQT_EINVAL,
                       "%s: orientation %d is unknown; pass CQT_HORIZONTAL or CQT_VERTICAL", fn, o);
    return false;
}

int enum_int(const void *p)
{
    int v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// ---- registrations --------------------------------------------------------

// Wires a registration; connect_fn attaches it to the Qt signal. On
// failure @destroy runs here, at once.
template <class Connect>
cqt_connection add_reg(const char *fn, cqt_widget *h, Reg::Kind kind, void (*f)(void),
                       void *user_data, cqt_destroy_fn destroy, Connect &&connect_fn)
{
    cqt_destroy_fn pending = destroy;
    cqt_connection id = guard(fn, cqt_connection(0), [&]() -> cqt_connection {
        if (enter(fn, h) != CQT_OK)
            return 0;
        if (!f) {
            cqt_set_last_error(CQT_EINVAL, "%s: fn is NULL; pass the callback", fn);
            return 0;
        }
        if (!connect_fn(static_cast<Reg *>(nullptr))) // kind check only
            return 0;
        auto *r = new Reg(h->w, kind, f, user_data, destroy);
        pending = nullptr; // the registration owns user_data now
        connect_fn(r);
        return r->id;
    });
    if (!id && pending)
        pending(user_data);
    return id;
}

Reg *find_reg(QWidget *w, cqt_connection c)
{
    // Reg has no Q_OBJECT (it needs no meta-object), so findChildren<Reg *>
    // cannot tell it apart from other children: ask RTTI.
    for (QObject *child : w->children()) {
        auto *r = dynamic_cast<Reg *>(child);
        if (r && r->id == c && !r->dead)
            return r;
    }
    return nullptr;
}

// Checks app, thread, handle and that it is a window.
int enter_window(const char *fn, const cqt_widget *h)
{
    int rc = enter(fn, h, "window");
    if (rc != CQT_OK)
        return rc;
    if (h->kind != CQT_WIDGET_WINDOW)
        return wrong_kind(fn, h, "windows");
    return CQT_OK;
}

// The skeleton of an int-returning entry point on a handle: exceptions
// become a status, then the entry checks run and, if they pass, @body.
template <class Body>
int on_widget(const char *fn, const cqt_widget *h, const char *what, Body &&body) noexcept
{
    return guard(fn, int(CQT_EINTERNAL), [&]() -> int {
        int rc = enter(fn, h, what);
        return rc != CQT_OK ? rc : body();
    });
}

template <class Body>
int on_widget(const char *fn, const cqt_widget *h, Body &&body) noexcept
{
    return on_widget(fn, h, "widget", body);
}

template <class Body>
int on_window(const char *fn, const cqt_widget *h, Body &&body) noexcept
{
    return guard(fn, int(CQT_EINTERNAL), [&]() -> int {
        int rc = enter_window(fn, h);
        return rc != CQT_OK ? rc : body();
    });
}

int copy_out(const QString &s, char *buf, size_t size)
{
    QByteArray u = s.toUtf8();
    if (buf && size > 0) {
        size_t n = std::min(size - 1, size_t(u.size()));
        std::memcpy(buf, u.constData(), n);
        buf[n] = '\0';
    }
    return u.size() > INT_MAX ? INT_MAX : int(u.size());
}

// A fixed-pitch font for the log view. Some platforms (offscreen) answer
// the system's fixed font with a proportional one; then ask fontconfig's
// usual monospaced families by name.
QFont fixed_font()
{
    QFont f = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    if (QFontInfo(f).fixedPitch())
        return f;
    for (const char *family : {"DejaVu Sans Mono", "Liberation Mono", "monospace"}) {
        QFont g(QString::fromLatin1(family));
        g.setStyleHint(QFont::TypeWriter);
        if (QFontInfo(g).fixedPitch())
            return g;
    }
    return f;
}

QWidget *new_plain()
{
    return new QWidget;
}

QWidget *new_group()
{
    return new QGroupBox;
}

} // namespace

extern "C" {

int cqt_widgets_init(void)
{
    register_gui_factory();
    return CQT_OK;
}

const char *cqt_widget_kind_name(int kind)
{
    switch (kind) {
    case CQT_WIDGET_WINDOW: return "window";
    case CQT_WIDGET_BOX: return "box";
    case CQT_WIDGET_GRID: return "grid";
    case CQT_WIDGET_GROUP_BOX: return "group box";
    case CQT_WIDGET_LABEL: return "label";
    case CQT_WIDGET_PUSH_BUTTON: return "push button";
    case CQT_WIDGET_CHECK_BOX: return "check box";
    case CQT_WIDGET_SPIN_BOX: return "spin box";
    case CQT_WIDGET_DOUBLE_SPIN_BOX: return "double spin box";
    case CQT_WIDGET_SLIDER: return "slider";
    case CQT_WIDGET_PROGRESS_BAR: return "progress bar";
    case CQT_WIDGET_LOG_VIEW: return "log view";
    case CQT_WIDGET_STATUS_BAR: return "status bar";
    default: return "unknown";
    }
}

// ---- windows ----------------------------------------------------------------

cqt_widget *cqt_window_new(const char *title)
{
    static const char fn[] = "cqt_window_new";
    return guard(fn, static_cast<cqt_widget *>(nullptr), [&]() -> cqt_widget * {
        if (check_gui(fn) != CQT_OK)
            return nullptr;
        if (!g_hook_registered) {
            if (cqt_app_add_shutdown_hook(shutdown_hook, nullptr, nullptr) != CQT_OK)
                return nullptr;
            g_hook_registered = true;
        }
        auto *win = new Window;
        win->setWindowTitle(qs(title));
        auto *content = new QWidget;
        win->setCentralWidget(content);
        cqt_widget *h = adopt(CQT_WIDGET_WINDOW, win, nullptr);
        h->box = new QVBoxLayout(content);
        win->handle = h;
        g_windows.emplace_back(win);
        return h;
    });
}

int cqt_window_free(cqt_widget *window)
{
    static const char fn[] = "cqt_window_free";
    return on_window(fn, window, [&]() -> int {
        cqt_widget *h = window;
        QWidget *w = h->w;
        if (g_depth > 0) {
            // Inside a callback, maybe of a widget of this window: Qt must
            // not delete it under the running signal. The handles die now;
            // the widgets when the loop next runs.
            for (auto it = g_live.begin(); it != g_live.end();)
                it = (*it)->window == h ? g_live.erase(it) : std::next(it);
            w->hide();
            w->deleteLater();
            return int(CQT_OK);
        }
        delete w;
        return int(CQT_OK);
    });
}

int cqt_window_show(cqt_widget *window)
{
    static const char fn[] = "cqt_window_show";
    return on_window(fn, window, [&]() -> int {
        window->w->show();
        window->w->raise();
        window->w->activateWindow();
        return int(CQT_OK);
    });
}

int cqt_window_close(cqt_widget *window)
{
    static const char fn[] = "cqt_window_close";
    return on_window(fn, window, [&]() -> int {
        window->w->close();
        return int(CQT_OK);
    });
}

int cqt_window_is_visible(const cqt_widget *window, bool *out)
{
    static const char fn[] = "cqt_window_is_visible";
    return on_window(fn, window, [&]() -> int {
        if (!out)
            return cqt_set_last_error(CQT_EINVAL, "%s: out is NULL", fn);
        *out = window->w->isVisible();
        return int(CQT_OK);
    });
}

int cqt_window_resize(cqt_widget *window, int width, int height)
{
    static const char fn[] = "cqt_window_resize";
    return on_window(fn, window, [&]() -> int {
        if (width < 1 || height < 1)
            return cqt_set_last_error(CQT_EINVAL,
                                      "%s: size %dx%d; pass at least 1x1 pixels", fn, width,
                                      height);
        window->w->resize(width, height);
        return int(CQT_OK);
    });
}

cqt_widget *cqt_window_status_bar(cqt_widget *window)
{
    static const char fn[] = "cqt_window_status_bar";
    return guard(fn, static_cast<cqt_widget *>(nullptr), [&]() -> cqt_widget * {
        if (enter_window(fn, window) != CQT_OK)
            return nullptr;
        auto *mw = static_cast<QMainWindow *>(window->w);
        QStatusBar *sb = mw->statusBar();
        for (cqt_widget *h : g_live)
            if (h->w == sb)
                return h;
        return adopt(CQT_WIDGET_STATUS_BAR, sb, window);
    });
}

cqt_connection cqt_window_on_close(cqt_widget *window, cqt_window_close_fn f, void *user_data,
                                   cqt_destroy_fn destroy)
{
    static const char fn[] = "cqt_window_on_close";
    return add_reg(fn, window, Reg::Close, reinterpret_cast<void (*)(void)>(f), user_data,
                   destroy, [&](Reg *r) -> bool {
                       if (!r) {
                           if (window->kind != CQT_WIDGET_WINDOW) {
                               wrong_kind(fn, window, "windows");
                               return false;
                           }
                           return true;
                       }
                       auto *win = static_cast<Window *>(window->w);
                       if (Reg *old = win->close_reg.data())
                           end_reg(old);
                       win->close_reg = r;
                       return true;
                   });
}

cqt_connection cqt_window_add_shortcut(cqt_widget *window, const char *keys, cqt_widget_fn f,
                                       void *user_data, cqt_destroy_fn destroy)
{
    static const char fn[] = "cqt_window_add_shortcut";
    QKeySequence seq;
    return add_reg(fn, window, Reg::Shortcut, reinterpret_cast<void (*)(void)>(f), user_data,
                   destroy, [&](Reg *r) -> bool {
                       if (!r) {
                           if (window->kind != CQT_WIDGET_WINDOW) {
                               wrong_kind(fn, window, "windows");
                               return false;
                           }
                           if (!keys) {
                               cqt_set_last_error(CQT_EINVAL,
                                                  "%s: keys is NULL; pass e.g. \"Ctrl+P\"", fn);
                               return false;
                           }
                           seq = QKeySequence::fromString(qs(keys), QKeySequence::PortableText);
                           if (seq.isEmpty() || cqt::key_combined(seq, 0) == Qt::Key_unknown) {
                               cqt_set_last_error(CQT_EINVAL,
                                                  "%s: Qt cannot read the keys \"%s\"; write them "
                                                  "like \"Ctrl+P\", \"Esc\" or \"F5\"", fn, keys);
                               return false;
                           }
                           return true;
                       }
                       auto *sc = new QShortcut(seq, window->w);
                       sc->setContext(Qt::WindowShortcut);
                       r->shortcut = sc;
                       cqt_widget *h = window;
                       QObject::connect(sc, &QShortcut::activated, r, [r, h] {
                           dispatch(r, [&] {
                               reinterpret_cast<cqt_widget_fn>(r->fn)(r->user_data, h);
                           });
                       });
                       return true;
                   });
}

int cqt_window_send_keys(cqt_widget *window, const char *keys)
{
    static const char fn[] = "cqt_window_send_keys";
    return on_window(fn, window, [&]() -> int {
        if (!keys)
            return cqt_set_last_error(CQT_EINVAL, "%s: keys is NULL; pass e.g. \"Ctrl+P\"", fn);
        QKeySequence seq = QKeySequence::fromString(qs(keys), QKeySequence::PortableText);
        if (seq.count() != 1 || cqt::key_combined(seq, 0) == Qt::Key_unknown)
            return cqt_set_last_error(CQT_EINVAL,
                                      "%s: \"%s\" is not one key combination Qt can read; write "
                                      "it like \"Ctrl+P\"", fn, keys);
        QWidget *win = window->w;
        if (!win->isVisible())
            return cqt_set_last_error(CQT_EINVAL,
                                      "%s: the window is not shown; call cqt_window_show first",
                                      fn);
        QApplication::setActiveWindow(win);
        QWidget *target = win->focusWidget() ? win->focusWidget() : win;
        int combined = cqt::key_combined(seq, 0);
        int key = combined & ~int(Qt::KeyboardModifierMask);
        auto mods = Qt::KeyboardModifiers(combined & int(Qt::KeyboardModifierMask));
        if (qt_sendShortcutOverrideEvent(target, 0, key, mods, QString(), false, 1))
            return int(CQT_OK);
        QPointer<QWidget> guard_target(target);
        QKeyEvent press(QEvent::KeyPress, key, mods);
        QApplication::sendEvent(target, &press);
        if (guard_target) {
            QKeyEvent release(QEvent::KeyRelease, key, mods);
            QApplication::sendEvent(target, &release);
        }
        return cqt_set_last_error(CQT_ECANCELED,
                                  "%s: no shortcut of the window took \"%s\"; the focused "
                                  "widget got the key press", fn, keys);
    });
}

// ---- containers ---------------------------------------------------------------

cqt_widget *cqt_box_new(cqt_widget *parent, cqt_orientation orientation)
{
    static const char fn[] = "cqt_box_new";
    int o = enum_int(&orientation);
    if (check_gui(fn) != CQT_OK || !orientation_ok(fn, o))
        return nullptr;
    return container(fn, parent, CQT_WIDGET_BOX, new_plain, cqt_orientation(o), 0);
}

int cqt_box_add_stretch(cqt_widget *box, int stretch)
{
    static const char fn[] = "cqt_box_add_stretch";
    return on_widget(fn, box, "box", [&]() -> int {
        if (!box->box)
            return wrong_kind(fn, box, "boxes, group boxes and windows");
        if (stretch < 0)
            return cqt_set_last_error(CQT_EINVAL, "%s: stretch %d is negative", fn, stretch);
        box->box->addStretch(stretch ? stretch : 1);
        return int(CQT_OK);
    });
}

cqt_widget *cqt_grid_new(cqt_widget *parent, int columns)
{
    static const char fn[] = "cqt_grid_new";
    if (check_gui(fn) != CQT_OK)
        return nullptr;
    if (columns < 1) {
        cqt_set_last_error(CQT_EINVAL, "%s: %d columns; a grid needs at least 1", fn, columns);
        return nullptr;
    }
    return container(fn, parent, CQT_WIDGET_GRID, new_plain, CQT_HORIZONTAL, columns);
}

int cqt_grid_set_column_stretch(cqt_widget *grid, int column, int stretch)
{
    static const char fn[] = "cqt_grid_set_column_stretch";
    return on_widget(fn, grid, "grid", [&]() -> int {
        if (grid->kind != CQT_WIDGET_GRID)
            return wrong_kind(fn, grid, "grids");
        if (column < 0 || column >= grid->columns || stretch < 0)
            return cqt_set_last_error(CQT_EINVAL,
                                      "%s: column %d (the grid has %d) or stretch %d out of "
                                      "range", fn, column, grid->columns, stretch);
        grid->grid->setColumnStretch(column, stretch);
        return int(CQT_OK);
    });
}

int cqt_grid_place(cqt_widget *child, int row, int column, int row_span, int column_span)
{
    static const char fn[] = "cqt_grid_place";
    return on_widget(fn, child, "child", [&]() -> int {
        cqt_widget *g = child->in_grid;
        if (!g || !g_live.count(g))
            return cqt_set_last_error(CQT_EINVAL,
                                      "%s: the %s is not in a grid; create it with a grid as its "
                                      "parent", fn, cqt_widget_kind_name(child->kind));
        if (row < 0 || column < 0 || row_span < 1 || column_span < 1 || row > 10000 ||
            column > 10000 || row_span > 10000 || column_span > 10000)
            return cqt_set_last_error(CQT_EINVAL,
                                      "%s: cell %d,%d span %dx%d; rows and columns are >= 0, "
                                      "spans >= 1", fn, row, column, row_span, column_span);
        g->grid->removeWidget(child->w);
        g->grid->addWidget(child->w, row, column, row_span, column_span);
        return int(CQT_OK);
    });
}

cqt_widget *cqt_group_box_new(cqt_widget *parent, const char *title, cqt_orientation orientation)
{
    static const char fn[] = "cqt_group_box_new";
    int o = enum_int(&orientation);
    if (check_gui(fn) != CQT_OK || !orientation_ok(fn, o))
        return nullptr;
    cqt_widget *h = container(fn, parent, CQT_WIDGET_GROUP_BOX, new_group, cqt_orientation(o), 0);
    if (h)
        static_cast<QGroupBox *>(h->w)->setTitle(qs(title));
    return h;
}

// ---- controls -------------------------------------------------------------------

cqt_widget *cqt_label_new(cqt_widget *parent, const char *text)
{
    return create("cqt_label_new", parent, CQT_WIDGET_LABEL,
                  [&]() -> QWidget * { return new QLabel(qs(text)); });
}

cqt_widget *cqt_push_button_new(cqt_widget *parent, const char *text)
{
    return create("cqt_push_button_new", parent, CQT_WIDGET_PUSH_BUTTON, [&]() -> QWidget * {
        auto *b = new QPushButton(qs(text));
        b->setAutoDefault(false);
        return b;
    });
}

cqt_widget *cqt_check_box_new(cqt_widget *parent, const char *text, bool checked)
{
    return create("cqt_check_box_new", parent, CQT_WIDGET_CHECK_BOX, [&]() -> QWidget * {
        auto *c = new QCheckBox(qs(text));
        c->setChecked(checked);
        return c;
    });
}

cqt_widget *cqt_spin_box_new(cqt_widget *parent, int min, int max, int value)
{
    static const char fn[] = "cqt_spin_box_new";
    return create(fn, parent, CQT_WIDGET_SPIN_BOX, [&]() -> QWidget * {
        if (!(min <= value && value <= max)) {
            cqt_set_last_error(CQT_EINVAL,
                               "%s: value %d is not within %d..%d", fn, value, min, max);
            return nullptr;
        }
        auto *s = new QSpinBox;
        s->setRange(min, max);
        s->setValue(value);
        s->setKeyboardTracking(false);
        return s;
    });
}

cqt_widget *cqt_double_spin_box_new(cqt_widget *parent, double min, double max, double value,
                                    int decimals)
{
    static const char fn[] = "cqt_double_spin_box_new";
    return create(fn, parent, CQT_WIDGET_DOUBLE_SPIN_BOX, [&]() -> QWidget * {
        if (!is_finite(min) || !is_finite(max) || !is_finite(value) || !(min <= value && value <= max) ||
            decimals < 0 || decimals > 10) {
            cqt_set_last_error(CQT_EINVAL,
                               "%s: value %g within %g..%g with %d decimals; pass finite numbers, "
                               "min <= value <= max, 0..10 decimals",
                               fn, value, min, max, decimals);
            return nullptr;
        }
        auto *s = new QDoubleSpinBox;
        s->setDecimals(decimals);
        s->setRange(min, max);
        s->setValue(value);
        s->setKeyboardTracking(false);
        return s;
    });
}

cqt_widget *cqt_slider_new(cqt_widget *parent, cqt_orientation orientation, int min, int max,
                           int value)
{
    static const char fn[] = "cqt_slider_new";
    int o = enum_int(&orientation);
    return create(fn, parent, CQT_WIDGET_SLIDER, [&]() -> QWidget * {
        if (!orientation_ok(fn, o))
            return nullptr;
        if (!(min <= value && value <= max)) {
            cqt_set_last_error(CQT_EINVAL,
                               "%s: value %d is not within %d..%d", fn, value, min, max);
            return nullptr;
        }
        auto *s = new QSlider(o == CQT_VERTICAL ? Qt::Vertical : Qt::Horizontal);
        s->setRange(min, max);
        s->setValue(value);
        return s;
    });
}

cqt_widget *cqt_progress_bar_new(cqt_widget *parent, int min, int max)
{
    static const char fn[] = "cqt_progress_bar_new";
    return create(fn, parent, CQT_WIDGET_PROGRESS_BAR, [&]() -> QWidget * {
        if (min > max) {
            cqt_set_last_error(CQT_EINVAL, "%s: min %d is above max %d", fn, min, max);
            return nullptr;
        }
        auto *p = new QProgressBar;
        p->setRange(min, max);
        p->setValue(min);
        return p;
    });
}

cqt_widget *cqt_log_view_new(cqt_widget *parent, int max_lines)
{
    static const char fn[] = "cqt_log_view_new";
    return create(fn, parent, CQT_WIDGET_LOG_VIEW, [&]() -> QWidget * {
        if (max_lines < 0) {
            cqt_set_last_error(CQT_EINVAL,
                               "%s: max_lines %d is negative; pass 0 (no limit) or more", fn,
                               max_lines);
            return nullptr;
        }
        auto *t = new QPlainTextEdit;
        t->setReadOnly(true);
        t->setUndoRedoEnabled(false);
        t->setMaximumBlockCount(max_lines);
        t->setFont(fixed_font());
        t->setLineWrapMode(QPlainTextEdit::WidgetWidth);
        return t;
    });
}

int cqt_log_view_append(cqt_widget *log, const char *line)
{
    static const char fn[] = "cqt_log_view_append";
    return on_widget(fn, log, "log", [&]() -> int {
        if (log->kind != CQT_WIDGET_LOG_VIEW)
            return wrong_kind(fn, log, "log views");
        auto *t = static_cast<QPlainTextEdit *>(log->w);
        QScrollBar *sb = t->verticalScrollBar();
        bool at_bottom = sb->value() >= sb->maximum();
        t->appendPlainText(qs(line));
        if (at_bottom)
            sb->setValue(sb->maximum());
        return int(CQT_OK);
    });
}

int cqt_log_view_clear(cqt_widget *log)
{
    static const char fn[] = "cqt_log_view_clear";
    return on_widget(fn, log, "log", [&]() -> int {
        if (log->kind != CQT_WIDGET_LOG_VIEW)
            return wrong_kind(fn, log, "log views");
        static_cast<QPlainTextEdit *>(log->w)->clear();
        return int(CQT_OK);
    });
}

int cqt_log_view_line_count(const cqt_widget *log, int *out)
{
    static const char fn[] = "cqt_log_view_line_count";
    return on_widget(fn, log, "log", [&]() -> int {
        if (log->kind != CQT_WIDGET_LOG_VIEW)
            return wrong_kind(fn, log, "log views");
        if (!out)
            return cqt_set_last_error(CQT_EINVAL, "%s: out is NULL", fn);
        QTextDocument *d = static_cast<QPlainTextEdit *>(log->w)->document();
        *out = d->isEmpty() ? 0 : d->blockCount();
        return int(CQT_OK);
    });
}

int cqt_status_bar_show_message(cqt_widget *status_bar, const char *text, int timeout_ms)
{
    static const char fn[] = "cqt_status_bar_show_message";
    return on_widget(fn, status_bar, "status_bar", [&]() -> int {
        if (status_bar->kind != CQT_WIDGET_STATUS_BAR)
            return wrong_kind(fn, status_bar, "status bars");
        if (timeout_ms < 0)
            return cqt_set_last_error(CQT_EINVAL,
                                      "%s: timeout %d ms is negative; 0 keeps the message", fn,
                                      timeout_ms);
        static_cast<QStatusBar *>(status_bar->w)->showMessage(qs(text), timeout_ms);
        return int(CQT_OK);
    });
}

// ---- any widget -------------------------------------------------------------------

int cqt_widget_get_kind(const cqt_widget *w)
{
    static const char fn[] = "cqt_widget_get_kind";
    return guard(fn, int(CQT_EINTERNAL), [&]() -> int {
        int rc = enter(fn, w);
        return rc != CQT_OK ? rc : int(w->kind);
    });
}

int cqt_widget_set_text(cqt_widget *w, const char *text)
{
    static const char fn[] = "cqt_widget_set_text";
    return on_widget(fn, w, [&]() -> int {
        QString s = qs(text);
        switch (w->kind) {
        case CQT_WIDGET_WINDOW: w->w->setWindowTitle(s); break;
        case CQT_WIDGET_LABEL: static_cast<QLabel *>(w->w)->setText(s); break;
        case CQT_WIDGET_PUSH_BUTTON:
        case CQT_WIDGET_CHECK_BOX: static_cast<QAbstractButton *>(w->w)->setText(s); break;
        case CQT_WIDGET_GROUP_BOX: static_cast<QGroupBox *>(w->w)->setTitle(s); break;
        case CQT_WIDGET_PROGRESS_BAR: static_cast<QProgressBar *>(w->w)->setFormat(s); break;
        case CQT_WIDGET_STATUS_BAR: static_cast<QStatusBar *>(w->w)->showMessage(s); break;
        case CQT_WIDGET_LOG_VIEW: static_cast<QPlainTextEdit *>(w->w)->setPlainText(s); break;
        default:
            return wrong_kind(fn, w, "windows, labels, push buttons, check boxes, group boxes, "
                                     "progress bars, status bars and log views");
        }
        return int(CQT_OK);
    });
}

int cqt_widget_get_text(const cqt_widget *w, char *buf, size_t size)
{
    static const char fn[] = "cqt_widget_get_text";
    return on_widget(fn, w, [&]() -> int {
        if (!buf && size > 0)
            return cqt_set_last_error(CQT_EINVAL, "%s: buf is NULL but size is %zu", fn, size);
        QString s;
        switch (w->kind) {
        case CQT_WIDGET_WINDOW: s = w->w->windowTitle(); break;
        case CQT_WIDGET_LABEL: s = static_cast<QLabel *>(w->w)->text(); break;
        case CQT_WIDGET_PUSH_BUTTON:
        case CQT_WIDGET_CHECK_BOX: s = static_cast<QAbstractButton *>(w->w)->text(); break;
        case CQT_WIDGET_GROUP_BOX: s = static_cast<QGroupBox *>(w->w)->title(); break;
        case CQT_WIDGET_PROGRESS_BAR: s = static_cast<QProgressBar *>(w->w)->format(); break;
        case CQT_WIDGET_STATUS_BAR: s = static_cast<QStatusBar *>(w->w)->currentMessage(); break;
        case CQT_WIDGET_LOG_VIEW: s = static_cast<QPlainTextEdit *>(w->w)->toPlainText(); break;
        case CQT_WIDGET_SPIN_BOX:
        case CQT_WIDGET_DOUBLE_SPIN_BOX: s = static_cast<QAbstractSpinBox *>(w->w)->text(); break;
        default:
            return wrong_kind(fn, w, "windows, labels, buttons, check boxes, group boxes, "
                                     "progress bars, status bars, log views and spin boxes");
        }
        return copy_out(s, buf, size);
    });
}

int cqt_widget_set_value(cqt_widget *w, double value)
{
    static const char fn[] = "cqt_widget_set_value";
    return on_widget(fn, w, [&]() -> int {
        if (!is_finite(value))
            return cqt_set_last_error(CQT_EINVAL, "%s: value %g is not a finite number", fn, value);
        switch (w->kind) {
        case CQT_WIDGET_SPIN_BOX: static_cast<QSpinBox *>(w->w)->setValue(clamp_int(value)); break;
        case CQT_WIDGET_DOUBLE_SPIN_BOX: static_cast<QDoubleSpinBox *>(w->w)->setValue(value); break;
        case CQT_WIDGET_SLIDER: static_cast<QSlider *>(w->w)->setValue(clamp_int(value)); break;
        case CQT_WIDGET_PROGRESS_BAR: {
            auto *p = static_cast<QProgressBar *>(w->w);
            p->setValue(std::max(p->minimum(), std::min(p->maximum(), clamp_int(value))));
            break;
        }
        default:
            return wrong_kind(fn, w, "spin boxes, double spin boxes, sliders and progress bars");
        }
        return int(CQT_OK);
    });
}

int cqt_widget_get_value(const cqt_widget *w, double *out)
{
    static const char fn[] = "cqt_widget_get_value";
    return on_widget(fn, w, [&]() -> int {
        if (!out)
            return cqt_set_last_error(CQT_EINVAL, "%s: out is NULL", fn);
        switch (w->kind) {
        case CQT_WIDGET_SPIN_BOX: *out = static_cast<QSpinBox *>(w->w)->value(); break;
        case CQT_WIDGET_DOUBLE_SPIN_BOX: *out = static_cast<QDoubleSpinBox *>(w->w)->value(); break;
        case CQT_WIDGET_SLIDER: *out = static_cast<QSlider *>(w->w)->value(); break;
        case CQT_WIDGET_PROGRESS_BAR: *out = static_cast<QProgressBar *>(w->w)->value(); break;
        default:
            return wrong_kind(fn, w, "spin boxes, double spin boxes, sliders and progress bars");
        }
        return int(CQT_OK);
    });
}

int cqt_widget_set_range(cqt_widget *w, double min, double max)
{
    static const char fn[] = "cqt_widget_set_range";
    return on_widget(fn, w, [&]() -> int {
        if (!is_finite(min) || !is_finite(max) || min > max)
            return cqt_set_last_error(CQT_EINVAL,
                                      "%s: range %g..%g; pass finite numbers with min <= max", fn,
                                      min, max);
        bool is_int = w->kind == CQT_WIDGET_SPIN_BOX || w->kind == CQT_WIDGET_SLIDER ||
                      w->kind == CQT_WIDGET_PROGRESS_BAR;
        if (is_int && (min < double(INT_MIN) || max > double(INT_MAX)))
            return cqt_set_last_error(CQT_ERANGE,
                                      "%s: range %g..%g does not fit an int (the %s counts in "
                                      "whole numbers)",
                                      fn, min, max, cqt_widget_kind_name(w->kind));
        switch (w->kind) {
        case CQT_WIDGET_SPIN_BOX:
            static_cast<QSpinBox *>(w->w)->setRange(clamp_int(min), clamp_int(max));
            break;
        case CQT_WIDGET_DOUBLE_SPIN_BOX: static_cast<QDoubleSpinBox *>(w->w)->setRange(min, max); break;
        case CQT_WIDGET_SLIDER:
            static_cast<QSlider *>(w->w)->setRange(clamp_int(min), clamp_int(max));
            break;
        case CQT_WIDGET_PROGRESS_BAR:
            static_cast<QProgressBar *>(w->w)->setRange(clamp_int(min), clamp_int(max));
            break;
        default:
            return wrong_kind(fn, w, "spin boxes, double spin boxes, sliders and progress bars");
        }
        return int(CQT_OK);
    });
}

int cqt_widget_get_range(const cqt_widget *w, double *min, double *max)
{
    static const char fn[] = "cqt_widget_get_range";
    return on_widget(fn, w, [&]() -> int {
        double lo, hi;
        switch (w->kind) {
        case CQT_WIDGET_SPIN_BOX: {
            auto *s = static_cast<QSpinBox *>(w->w);
            lo = s->minimum(), hi = s->maximum();
            break;
        }
        case CQT_WIDGET_DOUBLE_SPIN_BOX: {
            auto *s = static_cast<QDoubleSpinBox *>(w->w);
            lo = s->minimum(), hi = s->maximum();
            break;
        }
        case CQT_WIDGET_SLIDER: {
            auto *s = static_cast<QSlider *>(w->w);
            lo = s->minimum(), hi = s->maximum();
            break;
        }
        case CQT_WIDGET_PROGRESS_BAR: {
            auto *s = static_cast<QProgressBar *>(w->w);
            lo = s->minimum(), hi = s->maximum();
            break;
        }
        default:
            return wrong_kind(fn, w, "spin boxes, double spin boxes, sliders and progress bars");
        }
        if (min)
            *min = lo;
        if (max)
            *max = hi;
        return int(CQT_OK);
    });
}

int cqt_widget_set_checked(cqt_widget *w, bool checked)
{
    static const char fn[] = "cqt_widget_set_checked";
    return on_widget(fn, w, [&]() -> int {
        if (w->kind != CQT_WIDGET_CHECK_BOX)
            return wrong_kind(fn, w, "check boxes");
        static_cast<QCheckBox *>(w->w)->setChecked(checked);
        return int(CQT_OK);
    });
}

int cqt_widget_get_checked(const cqt_widget *w, bool *out)
{
    static const char fn[] = "cqt_widget_get_checked";
    return on_widget(fn, w, [&]() -> int {
        if (w->kind != CQT_WIDGET_CHECK_BOX)
            return wrong_kind(fn, w, "check boxes");
        if (!out)
            return cqt_set_last_error(CQT_EINVAL, "%s: out is NULL", fn);
        *out = static_cast<QCheckBox *>(w->w)->isChecked();
        return int(CQT_OK);
    });
}

int cqt_widget_set_enabled(cqt_widget *w, bool enabled)
{
    static const char fn[] = "cqt_widget_set_enabled";
    return on_widget(fn, w, [&]() -> int {
        w->w->setEnabled(enabled);
        return int(CQT_OK);
    });
}

int cqt_widget_get_enabled(const cqt_widget *w, bool *out)
{
    static const char fn[] = "cqt_widget_get_enabled";
    return on_widget(fn, w, [&]() -> int {
        if (!out)
            return cqt_set_last_error(CQT_EINVAL, "%s: out is NULL", fn);
        *out = !w->w->testAttribute(Qt::WA_ForceDisabled);
        return int(CQT_OK);
    });
}

int cqt_widget_set_tooltip(cqt_widget *w, const char *text)
{
    static const char fn[] = "cqt_widget_set_tooltip";
    return on_widget(fn, w, [&]() -> int {
        w->w->setToolTip(qs(text));
        return int(CQT_OK);
    });
}

int cqt_widget_set_suffix(cqt_widget *w, const char *suffix)
{
    static const char fn[] = "cqt_widget_set_suffix";
    return on_widget(fn, w, [&]() -> int {
        if (w->kind == CQT_WIDGET_SPIN_BOX)
            static_cast<QSpinBox *>(w->w)->setSuffix(qs(suffix));
        else if (w->kind == CQT_WIDGET_DOUBLE_SPIN_BOX)
            static_cast<QDoubleSpinBox *>(w->w)->setSuffix(qs(suffix));
        else
            return wrong_kind(fn, w, "spin boxes and double spin boxes");
        return int(CQT_OK);
    });
}

int cqt_widget_set_alignment(cqt_widget *w, cqt_align align)
{
    static const char fn[] = "cqt_widget_set_alignment";
    return on_widget(fn, w, [&]() -> int {
        int a = enum_int(&align);
        Qt::Alignment qa;
        switch (a) {
        case CQT_ALIGN_LEFT: qa = Qt::AlignLeft; break;
        case CQT_ALIGN_RIGHT: qa = Qt::AlignRight; break;
        case CQT_ALIGN_CENTER: qa = Qt::AlignHCenter; break;
        default:
            return cqt_set_last_error(CQT_EINVAL,
                                      "%s: alignment %d is unknown; pass CQT_ALIGN_LEFT, _RIGHT "
                                      "or _CENTER", fn, a);
        }
        qa |= Qt::AlignVCenter;
        switch (w->kind) {
        case CQT_WIDGET_LABEL: static_cast<QLabel *>(w->w)->setAlignment(qa); break;
        case CQT_WIDGET_SPIN_BOX:
        case CQT_WIDGET_DOUBLE_SPIN_BOX: static_cast<QAbstractSpinBox *>(w->w)->setAlignment(qa); break;
        case CQT_WIDGET_PROGRESS_BAR: static_cast<QProgressBar *>(w->w)->setAlignment(qa); break;
        default:
            return wrong_kind(fn, w, "labels, spin boxes and progress bars");
        }
        return int(CQT_OK);
    });
}

int cqt_widget_set_minimum_width(cqt_widget *w, int pixels)
{
    static const char fn[] = "cqt_widget_set_minimum_width";
    return on_widget(fn, w, [&]() -> int {
        if (pixels < 0 || pixels > 100000)
            return cqt_set_last_error(CQT_EINVAL, "%s: %d pixels; pass 0..100000", fn, pixels);
        w->w->setMinimumWidth(pixels);
        return int(CQT_OK);
    });
}

int cqt_widget_set_style_sheet(cqt_widget *w, const char *css)
{
    static const char fn[] = "cqt_widget_set_style_sheet";
    return on_widget(fn, w, [&]() -> int {
        w->w->setStyleSheet(qs(css));
        return int(CQT_OK);
    });
}

int cqt_widget_get_size(const cqt_widget *w, int *width, int *height)
{
    static const char fn[] = "cqt_widget_get_size";
    return on_widget(fn, w, [&]() -> int {
        QSize s = w->w->size();
        if (width)
            *width = s.width();
        if (height)
            *height = s.height();
        return int(CQT_OK);
    });
}

int cqt_widget_click(cqt_widget *w)
{
    static const char fn[] = "cqt_widget_click";
    return on_widget(fn, w, [&]() -> int {
        if (w->kind != CQT_WIDGET_PUSH_BUTTON && w->kind != CQT_WIDGET_CHECK_BOX)
            return wrong_kind(fn, w, "push buttons and check boxes");
        static_cast<QAbstractButton *>(w->w)->click();
        return int(CQT_OK);
    });
}

int cqt_widget_grab(cqt_widget *w, const char *path)
{
    static const char fn[] = "cqt_widget_grab";
    return on_widget(fn, w, [&]() -> int {
        if (!path || !*path)
            return cqt_set_last_error(CQT_EINVAL,
                                      "%s: path is %s; pass a file name such as \"shot.png\"", fn,
                                      path ? "empty" : "NULL");
        QString file = QString::fromUtf8(path);
        QByteArray suffix = QFileInfo(file).suffix().toLower().toLatin1();
        if (suffix.isEmpty() || !QImageWriter::supportedImageFormats().contains(suffix))
            return cqt_set_last_error(CQT_EINVAL,
                                      "%s: '%s' has no image extension Qt can write; end it in "
                                      ".png", fn, path);
        if (!w->w->isVisible() && w->w->layout())
            w->w->layout()->activate();
        QPixmap pm = w->w->grab();
        if (pm.isNull())
            return cqt_set_last_error(CQT_EINVAL, "%s: the %s has no size to render", fn,
                                      cqt_widget_kind_name(w->kind));
        if (!pm.save(file, suffix.constData()))
            return cqt_set_last_error(CQT_EINVAL,
                                      "%s: could not write '%s' (does its directory exist, and "
                                      "may this process write there?)", fn, path);
        return int(CQT_OK);
    });
}

// ---- signals ----------------------------------------------------------------------

cqt_connection cqt_widget_on_clicked(cqt_widget *w, cqt_widget_fn f, void *user_data,
                                     cqt_destroy_fn destroy)
{
    static const char fn[] = "cqt_widget_on_clicked";
    return add_reg(fn, w, Reg::Clicked, reinterpret_cast<void (*)(void)>(f), user_data, destroy,
                   [&](Reg *r) -> bool {
                       if (!r) {
                           if (w->kind != CQT_WIDGET_PUSH_BUTTON && w->kind != CQT_WIDGET_CHECK_BOX) {
                               wrong_kind(fn, w, "push buttons and check boxes");
                               return false;
                           }
                           return true;
                       }
                       cqt_widget *h = w;
                       QObject::connect(static_cast<QAbstractButton *>(w->w),
                                        &QAbstractButton::clicked, r, [r, h] {
                                            dispatch(r, [&] {
                                                reinterpret_cast<cqt_widget_fn>(r->fn)(
                                                    r->user_data, h);
                                            });
                                        });
                       return true;
                   });
}

cqt_connection cqt_widget_on_toggled(cqt_widget *w, cqt_widget_toggled_fn f, void *user_data,
                                     cqt_destroy_fn destroy)
{
    static const char fn[] = "cqt_widget_on_toggled";
    return add_reg(fn, w, Reg::Toggled, reinterpret_cast<void (*)(void)>(f), user_data, destroy,
                   [&](Reg *r) -> bool {
                       if (!r) {
                           if (w->kind != CQT_WIDGET_CHECK_BOX) {
                               wrong_kind(fn, w, "check boxes");
                               return false;
                           }
                           return true;
                       }
                       cqt_widget *h = w;
                       QObject::connect(static_cast<QCheckBox *>(w->w), &QAbstractButton::toggled,
                                        r, [r, h](bool on) {
                                            dispatch(r, [&] {
                                                reinterpret_cast<cqt_widget_toggled_fn>(r->fn)(
                                                    r->user_data, h, on);
                                            });
                                        });
                       return true;
                   });
}

cqt_connection cqt_widget_on_value_changed(cqt_widget *w, cqt_widget_value_fn f, void *user_data,
                                           cqt_destroy_fn destroy)
{
    static const char fn[] = "cqt_widget_on_value_changed";
    return add_reg(fn, w, Reg::Value, reinterpret_cast<void (*)(void)>(f), user_data, destroy,
                   [&](Reg *r) -> bool {
                       if (!r) {
                           if (w->kind != CQT_WIDGET_SPIN_BOX &&
                               w->kind != CQT_WIDGET_DOUBLE_SPIN_BOX &&
                               w->kind != CQT_WIDGET_SLIDER) {
                               wrong_kind(fn, w, "spin boxes, double spin boxes and sliders");
                               return false;
                           }
                           return true;
                       }
                       cqt_widget *h = w;
                       auto call = [r, h](double v) {
                           dispatch(r, [&] {
                               reinterpret_cast<cqt_widget_value_fn>(r->fn)(r->user_data, h, v);
                           });
                       };
                       if (w->kind == CQT_WIDGET_SPIN_BOX)
                           QObject::connect(static_cast<QSpinBox *>(w->w),
                                            QOverload<int>::of(&QSpinBox::valueChanged), r,
                                            [call](int v) { call(v); });
                       else if (w->kind == CQT_WIDGET_DOUBLE_SPIN_BOX)
                           QObject::connect(static_cast<QDoubleSpinBox *>(w->w),
                                            QOverload<double>::of(&QDoubleSpinBox::valueChanged),
                                            r, call);
                       else
                           QObject::connect(static_cast<QSlider *>(w->w),
                                            &QAbstractSlider::valueChanged, r,
                                            [call](int v) { call(v); });
                       return true;
                   });
}

int cqt_widget_disconnect(cqt_widget *w, cqt_connection c)
{
    static const char fn[] = "cqt_widget_disconnect";
    return on_widget(fn, w, [&]() -> int {
        Reg *r = c ? find_reg(w->w, c) : nullptr;
        if (!r)
            return cqt_set_last_error(CQT_EINVAL,
                                      "%s: %llu is not a live registration of this %s (0, a "
                                      "second disconnect, or another widget's id)",
                                      fn, (unsigned long long)c, cqt_widget_kind_name(w->kind));
        end_reg(r);
        return int(CQT_OK);
    });
}

} // extern "C"
