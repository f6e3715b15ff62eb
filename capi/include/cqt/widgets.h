/* SPDX-License-Identifier: MIT */
/* cqt/widgets.h — a small C API over Qt Widgets (libcqt-widgets).
 *
 * Enough for real small tools, not a full binding: a window, box and grid
 * layouts, group boxes, labels, buttons, check boxes, spin boxes, sliders,
 * progress bars, a read-only log view and a status bar; text, value,
 * range and enabled setters and getters; clicked / toggled / value_changed
 * and keyboard shortcuts connected to C callbacks; screenshots.
 *
 * Link with `pkg-config --cflags --libs cqt-widgets` (a console program
 * links libcqt alone and never loads QtWidgets).
 *
 * The GUI application. cqt_app_init(..., CQT_APP_GUI) creates a
 * QApplication once libcqt-widgets is loaded: the library registers itself
 * with libcqt when it is loaded, and cqt_widgets_init() does the same
 * explicitly (call it before cqt_app_init() if your linker drops unused
 * libraries, e.g. with -Wl,--as-needed, or to make the dependency plain).
 * Closing the last window does not end the loop by itself: a window with
 * no close handler calls cqt_app_quit(0) when the user closes it.
 *
 * Threads (pitfall P13). Qt allows widgets in the GUI thread only — the
 * main thread, the one that called cqt_app_init(). Every function here
 * that takes or makes a widget checks the calling thread first: from any
 * other thread it returns CQT_EWRONGTHREAD (constructors: NULL; connects:
 * 0), with cqt_last_error() naming the thread and the fix, and it never
 * touches the widget. To update a widget from a worker, send the update
 * to the main thread (cqt_invoke() on an object living there, a queued
 * signal, or a worker's handlers, which run in their receiver's thread).
 * With no application, or a CQT_APP_CORE one, the calls return CQT_ESTATE.
 *
 * Ownership. A window is created with cqt_window_new() and released with
 * cqt_window_free() (or at cqt_app_shutdown(), which frees the windows
 * still open). Every other widget is created inside a container (the
 * window, a box, a grid, a group box or the status bar) and is owned by
 * its window: it is freed with the window, never on its own. Handles are
 * `cqt_widget *` for every kind; a handle is valid until its window is
 * freed, after which calls with it return CQT_EINVAL (the library keeps a
 * table of live handles and never dereferences a dead one). A handle made
 * in one application must not be used after cqt_app_shutdown().
 *
 * Callbacks run in the GUI thread, inside the main loop, with user_data
 * first and the widget next. Every registration takes (fn, user_data,
 * destroy) and returns a cqt_connection id (never 0, never reused);
 * destroy runs exactly once, in the GUI thread: at cqt_widget_disconnect(),
 * when the widget's window is freed, or at once (in the calling thread)
 * when the registration fails — never while its fn runs. Setting a value
 * from the program fires value_changed / toggled like a user change does
 * (as Qt does); clicked fires for user clicks, shortcuts' targets and
 * cqt_widget_click().
 */
#ifndef CQT_WIDGETS_H
#define CQT_WIDGETS_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(CQT_WIDGETS_BUILDING) && defined(__GNUC__)
#define CQT_WIDGETS_API __attribute__((visibility("default")))
#else
#define CQT_WIDGETS_API
#endif

/* Any widget: a window, a container or a control. */
typedef struct cqt_widget cqt_widget;

/* What a handle is (cqt_widget_get_kind()). */
typedef enum cqt_widget_kind {
    CQT_WIDGET_WINDOW = 1,
    CQT_WIDGET_BOX = 2,
    CQT_WIDGET_GRID = 3,
    CQT_WIDGET_GROUP_BOX = 4,
    CQT_WIDGET_LABEL = 5,
    CQT_WIDGET_PUSH_BUTTON = 6,
    CQT_WIDGET_CHECK_BOX = 7,
    CQT_WIDGET_SPIN_BOX = 8,        /* integer */
    CQT_WIDGET_DOUBLE_SPIN_BOX = 9,
    CQT_WIDGET_SLIDER = 10,
    CQT_WIDGET_PROGRESS_BAR = 11,
    CQT_WIDGET_LOG_VIEW = 12,
    CQT_WIDGET_STATUS_BAR = 13
} cqt_widget_kind;

typedef enum cqt_orientation {
    CQT_HORIZONTAL = 0,
    CQT_VERTICAL = 1
} cqt_orientation;

/* Horizontal alignment of a label's, spin box's or progress bar's text. */
typedef enum cqt_align {
    CQT_ALIGN_LEFT = 0,
    CQT_ALIGN_RIGHT = 1,
    CQT_ALIGN_CENTER = 2
} cqt_align;

/* clicked, and shortcuts (@w is the window then). */
typedef void (*cqt_widget_fn)(void *user_data, cqt_widget *w);
/* toggled: the new state. */
typedef void (*cqt_widget_toggled_fn)(void *user_data, cqt_widget *w, bool checked);
/* value_changed: the new value (integer widgets give whole numbers). */
typedef void (*cqt_widget_value_fn)(void *user_data, cqt_widget *w, double value);
/* The user (or cqt_window_close()) asks to close @window. Return true to
 * let it close (it is hidden, not freed), false to keep it open. */
typedef bool (*cqt_window_close_fn)(void *user_data, cqt_widget *window);

/* ---- the library --------------------------------------------------------- */

/* cqt_widgets_init:
 * Registers libcqt-widgets with libcqt so that cqt_app_init(...,
 * CQT_APP_GUI) creates a QApplication (it keeps a reference to the argc
 * given to cqt_app_init, which must stay valid until cqt_app_shutdown()).
 * Loading the library does this already; calling it again is harmless.
 * Returns: CQT_OK. Thread: any; call it before cqt_app_init(). */
CQT_WIDGETS_API int cqt_widgets_init(void);

/* cqt_widget_kind_name:
 * Returns: "window", "box", ... "status bar"; "unknown" otherwise.
 * Transfer none: static storage, valid for the life of the process.
 * Thread: any (touches no widget). */
CQT_WIDGETS_API const char *cqt_widget_kind_name(int kind);

/* ---- windows ------------------------------------------------------------- */

/* cqt_window_new:
 * Creates a hidden top-level window titled @title (nullable, copied). Its
 * content area lays children out top to bottom.
 * Returns: transfer full, release with cqt_window_free(); NULL on failure
 * (CQT_EWRONGTHREAD, CQT_ESTATE: see the top of this file).
 * Thread: GUI. */
CQT_WIDGETS_API cqt_widget *cqt_window_new(const char *title);

/* cqt_window_free:
 * Frees @window and every widget in it; their registrations' destroy
 * functions run. Called from inside a callback of this window, the window
 * is hidden and its handles die at once, and the Qt objects are deleted
 * when the callback returned to the loop.
 * Returns: CQT_OK; CQT_EINVAL for NULL, a dead handle or a widget that is
 * not a window; CQT_EWRONGTHREAD; CQT_ESTATE. Thread: GUI. */
CQT_WIDGETS_API int cqt_window_free(cqt_widget *window);

/* cqt_window_show:
 * Shows @window (and raises and activates it).
 * Returns: CQT_OK; CQT_EINVAL; CQT_EWRONGTHREAD; CQT_ESTATE. Thread: GUI. */
CQT_WIDGETS_API int cqt_window_show(cqt_widget *window);

/* cqt_window_close:
 * Asks @window to close as the user's close button does: the close
 * handler decides (cqt_window_on_close); without one the window hides and
 * cqt_app_quit(0) is called.
 * Returns: CQT_OK whether or not the handler let it close; CQT_EINVAL;
 * CQT_EWRONGTHREAD; CQT_ESTATE. Thread: GUI. */
CQT_WIDGETS_API int cqt_window_close(cqt_widget *window);

/* cqt_window_is_visible:
 * Stores in @out whether @window is shown.
 * Returns: CQT_OK; CQT_EINVAL (NULL argument, not a window);
 * CQT_EWRONGTHREAD; CQT_ESTATE. Thread: GUI. */
CQT_WIDGETS_API int cqt_window_is_visible(const cqt_widget *window, bool *out);

/* cqt_window_resize:
 * Resizes @window to @width x @height pixels (at least its layout's
 * minimum size).
 * Returns: CQT_OK; CQT_EINVAL (not a window, a size < 1);
 * CQT_EWRONGTHREAD; CQT_ESTATE. Thread: GUI. */
CQT_WIDGETS_API int cqt_window_resize(cqt_widget *window, int width, int height);

/* cqt_window_status_bar:
 * Returns: the status bar of @window, created on first use: a container
 * whose children (labels, progress bars) sit at its right end, and which
 * shows messages (cqt_status_bar_show_message) at its left. Transfer none,
 * owned by the window. NULL on failure. Thread: GUI. */
CQT_WIDGETS_API cqt_widget *cqt_window_status_bar(cqt_widget *window);

/* cqt_window_on_close:
 * Sets the handler asked when @window is about to close (see
 * cqt_window_close_fn). A window has at most one: setting another ends
 * the previous registration (its destroy runs).
 * Returns: a connection id for cqt_widget_disconnect(window, id); 0 on
 * failure (NULL @window or @fn, wrong thread, no GUI app), with @destroy
 * already run. Thread: GUI. */
CQT_WIDGETS_API cqt_connection cqt_window_on_close(cqt_widget *window, cqt_window_close_fn fn,
                                                   void *user_data, cqt_destroy_fn destroy);

/* cqt_window_add_shortcut:
 * Calls fn(user_data, window) when @keys are pressed while @window is the
 * active window, whichever of its widgets has the focus. @keys is Qt's
 * portable text form: "Ctrl+P", "Esc", "F5", "Ctrl+Shift+J".
 * Returns: a connection id for cqt_widget_disconnect(window, id); 0 on
 * failure (CQT_EINVAL for NULL arguments or keys Qt cannot parse), with
 * @destroy already run. Thread: GUI. */
CQT_WIDGETS_API cqt_connection cqt_window_add_shortcut(cqt_widget *window, const char *keys,
                                                       cqt_widget_fn fn, void *user_data,
                                                       cqt_destroy_fn destroy);

/* cqt_window_send_keys:
 * Delivers @keys (as cqt_window_add_shortcut) to @window as if the user
 * pressed them: shortcuts first, then the focused widget. For tests and
 * scripted tours. Makes @window the active window.
 * Returns: CQT_OK when a shortcut took the keys, CQT_ECANCELED when none
 * did (the focused widget got them); CQT_EINVAL for NULL, unparsable keys
 * or a window that is not shown; CQT_EWRONGTHREAD; CQT_ESTATE.
 * Thread: GUI. */
CQT_WIDGETS_API int cqt_window_send_keys(cqt_widget *window, const char *keys);

/* ---- containers ---------------------------------------------------------- */
/* Every widget is created inside a container @parent: a window's content
 * area (top to bottom), a box (in its direction), a group box (in its
 * direction), a grid (row by row, @columns cells per row) or a status bar
 * (at its right end). A NULL or non-container @parent is CQT_EINVAL. */

/* cqt_box_new:
 * Creates an invisible container that lays its children out in a row
 * (CQT_HORIZONTAL) or a column (CQT_VERTICAL), without margins.
 * Returns: transfer none (owned by the window); NULL on failure.
 * Thread: GUI. */
CQT_WIDGETS_API cqt_widget *cqt_box_new(cqt_widget *parent, cqt_orientation orientation);

/* cqt_box_add_stretch:
 * Adds stretchable empty space at the end of @box (a box, a group box or
 * a window's content area), weighted by @stretch (>= 0; 0 means 1).
 * Returns: CQT_OK; CQT_EINVAL; CQT_EWRONGTHREAD; CQT_ESTATE. Thread: GUI. */
CQT_WIDGETS_API int cqt_box_add_stretch(cqt_widget *box, int stretch);

/* cqt_grid_new:
 * Creates an invisible grid filled row by row, @columns (>= 1) cells per
 * row, in the order its children are created.
 * Returns: transfer none; NULL on failure. Thread: GUI. */
CQT_WIDGETS_API cqt_widget *cqt_grid_new(cqt_widget *parent, int columns);

/* cqt_grid_set_column_stretch:
 * Gives @column of @grid a share (>= 0) of the extra width.
 * Returns: CQT_OK; CQT_EINVAL (not a grid, a column out of range, a
 * negative stretch); CQT_EWRONGTHREAD; CQT_ESTATE. Thread: GUI. */
CQT_WIDGETS_API int cqt_grid_set_column_stretch(cqt_widget *grid, int column, int stretch);

/* cqt_grid_place:
 * Moves @child, a widget of a grid, to @row, @column, spanning @row_span
 * x @column_span cells (each >= 1). The grid's automatic filling goes on
 * after the last cell it filled.
 * Returns: CQT_OK; CQT_EINVAL (NULL, @child not in a grid, bad cells);
 * CQT_EWRONGTHREAD; CQT_ESTATE. Thread: GUI. */
CQT_WIDGETS_API int cqt_grid_place(cqt_widget *child, int row, int column, int row_span,
                                   int column_span);

/* cqt_group_box_new:
 * Creates a framed container titled @title (nullable, copied) laying its
 * children out in @orientation.
 * Returns: transfer none; NULL on failure. Thread: GUI. */
CQT_WIDGETS_API cqt_widget *cqt_group_box_new(cqt_widget *parent, const char *title,
                                              cqt_orientation orientation);

/* ---- controls ------------------------------------------------------------ */
/* Constructors: @parent as above; text arguments are nullable and copied.
 * Returns: transfer none (owned by the window); NULL on failure with
 * cqt_last_error() saying why. Thread: GUI. */

/* cqt_label_new:
 * A line of text, @text (nullable, copied).
 * Returns: transfer none (owned by its window, freed with it; valid until
 * the window is freed); NULL on failure: CQT_EINVAL (NULL or dead @parent,
 * a parent that is not a container), CQT_EWRONGTHREAD (not the main
 * thread), CQT_ESTATE (no GUI application).
 * Thread: GUI (the main thread). */
CQT_WIDGETS_API cqt_widget *cqt_label_new(cqt_widget *parent, const char *text);

/* cqt_push_button_new:
 * A button labelled @text (nullable, copied); connect
 * cqt_widget_on_clicked().
 * Returns: transfer none (owned by its window, freed with it; valid until
 * the window is freed); NULL on failure: CQT_EINVAL (NULL or dead @parent,
 * a parent that is not a container), CQT_EWRONGTHREAD (not the main
 * thread), CQT_ESTATE (no GUI application).
 * Thread: GUI (the main thread). */
CQT_WIDGETS_API cqt_widget *cqt_push_button_new(cqt_widget *parent, const char *text);

/* cqt_check_box_new:
 * A switch labelled @text (nullable, copied), initially @checked; connect
 * cqt_widget_on_toggled().
 * Returns: transfer none (owned by its window, freed with it; valid until
 * the window is freed); NULL on failure: CQT_EINVAL (NULL or dead @parent,
 * a parent that is not a container), CQT_EWRONGTHREAD (not the main
 * thread), CQT_ESTATE (no GUI application).
 * Thread: GUI (the main thread). */
CQT_WIDGETS_API cqt_widget *cqt_check_box_new(cqt_widget *parent, const char *text, bool checked);

/* cqt_spin_box_new:
 * An integer input, @min <= @value <= @max.
 * Returns: transfer none (owned by its window, freed with it; valid until
 * the window is freed); NULL on failure: CQT_EINVAL (NULL or dead @parent,
 * a parent that is not a container,
 * @value outside @min..@max), CQT_EWRONGTHREAD (not the main
 * thread), CQT_ESTATE (no GUI application).
 * Thread: GUI (the main thread). */
CQT_WIDGETS_API cqt_widget *cqt_spin_box_new(cqt_widget *parent, int min, int max, int value);

/* cqt_double_spin_box_new:
 * A decimal input showing @decimals (0..10) decimals; @min <= @value <=
 * @max, all finite.
 * Returns: transfer none (owned by its window, freed with it; valid until
 * the window is freed); NULL on failure: CQT_EINVAL (NULL or dead @parent,
 * a parent that is not a container, a non-finite number, @value outside
 * @min..@max, @decimals outside 0..10), CQT_EWRONGTHREAD (not the main
 * thread), CQT_ESTATE (no GUI application). Thread: GUI (the main thread). */
CQT_WIDGETS_API cqt_widget *cqt_double_spin_box_new(cqt_widget *parent, double min, double max,
                                                    double value, int decimals);

/* cqt_slider_new:
 * An integer slider in @orientation, @min <= @value <= @max.
 * Returns: transfer none (owned by its window, freed with it; valid until
 * the window is freed); NULL on failure: CQT_EINVAL (NULL or dead @parent,
 * a parent that is not a container, an unknown @orientation, @value
 * outside @min..@max), CQT_EWRONGTHREAD (not the main thread), CQT_ESTATE
 * (no GUI application). Thread: GUI (the main thread). */
CQT_WIDGETS_API cqt_widget *cqt_slider_new(cqt_widget *parent, cqt_orientation orientation,
                                           int min, int max, int value);

/* cqt_progress_bar_new:
 * A bar from @min to @max (@min <= @max), at @min. Its text is a Qt format
 * set with cqt_widget_set_text(): "%p%" (the default), "%v", "%m", or
 * any text.
 * Returns: transfer none (owned by its window, freed with it; valid until
 * the window is freed); NULL on failure: CQT_EINVAL (NULL or dead @parent,
 * a parent that is not a container,
 * @min > @max), CQT_EWRONGTHREAD (not the main
 * thread), CQT_ESTATE (no GUI application).
 * Thread: GUI (the main thread). */
CQT_WIDGETS_API cqt_widget *cqt_progress_bar_new(cqt_widget *parent, int min, int max);

/* cqt_log_view_new:
 * A read-only, monospaced text view for log lines, keeping the last
 * @max_lines lines (0: no limit).
 * Returns: transfer none (owned by its window, freed with it; valid until
 * the window is freed); NULL on failure: CQT_EINVAL (NULL or dead @parent,
 * a parent that is not a container,
 * a negative @max_lines), CQT_EWRONGTHREAD (not the main
 * thread), CQT_ESTATE (no GUI application).
 * Thread: GUI (the main thread). */
CQT_WIDGETS_API cqt_widget *cqt_log_view_new(cqt_widget *parent, int max_lines);

/* cqt_log_view_append:
 * Appends @line (a '\n' inside starts another line) to @log, dropping the
 * oldest lines beyond its cap. The view follows the new line while it is
 * scrolled to the bottom (the user can scroll up to read; it then stays).
 * Returns: CQT_OK; CQT_EINVAL (NULL, not a log view); CQT_EWRONGTHREAD;
 * CQT_ESTATE. Thread: GUI. */
CQT_WIDGETS_API int cqt_log_view_append(cqt_widget *log, const char *line);

/* cqt_log_view_clear:
 * Removes every line. Returns and Thread: as cqt_log_view_append(). */
CQT_WIDGETS_API int cqt_log_view_clear(cqt_widget *log);

/* cqt_log_view_line_count:
 * Stores the number of lines @log holds in @out.
 * Returns: CQT_OK; CQT_EINVAL; CQT_EWRONGTHREAD; CQT_ESTATE. Thread: GUI. */
CQT_WIDGETS_API int cqt_log_view_line_count(const cqt_widget *log, int *out);

/* cqt_status_bar_show_message:
 * Shows @text (nullable: clears) at the left of @status_bar for
 * @timeout_ms (0: until replaced).
 * Returns: CQT_OK; CQT_EINVAL (not a status bar, a negative timeout);
 * CQT_EWRONGTHREAD; CQT_ESTATE. Thread: GUI. */
CQT_WIDGETS_API int cqt_status_bar_show_message(cqt_widget *status_bar, const char *text,
                                                int timeout_ms);

/* ---- any widget ---------------------------------------------------------- */
/* Every function below returns CQT_OK (or what it says), CQT_EINVAL for
 * NULL arguments, a dead handle or a widget of a kind the property does
 * not apply to (the message names the kinds that have it),
 * CQT_EWRONGTHREAD and CQT_ESTATE as described at the top. Thread: GUI. */

/* cqt_widget_get_kind:
 * Returns: the cqt_widget_kind of @w (> 0); CQT_EINVAL (NULL or dead @w),
 * CQT_EWRONGTHREAD or CQT_ESTATE. Thread: GUI (the main thread). */
CQT_WIDGETS_API int cqt_widget_get_kind(const cqt_widget *w);

/* cqt_widget_set_text:
 * The text of a window (its title), label, push button, check box, group
 * box (its title), progress bar (its format) or status bar (a message that
 * stays), or the whole content of a log view. @text is nullable (empty)
 * and copied.
 * Returns: CQT_OK; CQT_EINVAL (NULL or dead @w, another kind);
 * CQT_EWRONGTHREAD; CQT_ESTATE. Thread: GUI (the main thread). */
CQT_WIDGETS_API int cqt_widget_set_text(cqt_widget *w, const char *text);

/* cqt_widget_get_text:
 * Copies the text of @w, UTF-8, into @buf (nullable when @size is 0) and
 * NUL-terminates it, truncating to @size - 1 bytes, as snprintf does. The
 * widgets of cqt_widget_set_text(), plus spin boxes (their shown text).
 * Returns: the full text's length in bytes (so a result >= @size means
 * truncated); CQT_EINVAL (NULL or dead @w, NULL @buf with @size > 0,
 * another kind); CQT_EWRONGTHREAD; CQT_ESTATE. Thread: GUI (the main
 * thread). */
CQT_WIDGETS_API int cqt_widget_get_text(const cqt_widget *w, char *buf, size_t size);

/* cqt_widget_set_value:
 * Sets the value of a spin box, double spin box, slider or progress bar.
 * Integer widgets round to the nearest whole number; every widget clamps
 * to its range. value_changed fires when the value changes.
 * Returns: CQT_OK; CQT_EINVAL (NULL or dead @w, a NaN or infinite @value,
 * another kind); CQT_EWRONGTHREAD;
 * CQT_ESTATE. Thread: GUI (the main thread). */
CQT_WIDGETS_API int cqt_widget_set_value(cqt_widget *w, double value);

/* cqt_widget_get_value:
 * As cqt_widget_set_value(), stores the value in @out.
 * Returns: CQT_OK; CQT_EINVAL (NULL or dead @w, NULL @out, another kind);
 * CQT_EWRONGTHREAD; CQT_ESTATE. Thread: GUI (the main thread). */
CQT_WIDGETS_API int cqt_widget_get_value(const cqt_widget *w, double *out);

/* cqt_widget_set_range:
 * Sets the range of the widgets of cqt_widget_set_value(): @min <= @max,
 * both finite, and for the integer widgets within int.
 * Returns: CQT_OK; CQT_EINVAL (NULL or dead @w, a non-finite bound,
 * @min > @max, another kind); CQT_ERANGE (a bound outside int for a spin
 * box, slider or progress bar); CQT_EWRONGTHREAD; CQT_ESTATE.
 * Thread: GUI (the main thread). */
CQT_WIDGETS_API int cqt_widget_set_range(cqt_widget *w, double min, double max);

/* cqt_widget_get_range:
 * As cqt_widget_set_range(), stores the range in @min and @max (each
 * nullable).
 * Returns: CQT_OK; CQT_EINVAL (NULL or dead @w, another kind);
 * CQT_EWRONGTHREAD; CQT_ESTATE. Thread: GUI (the main thread). */
CQT_WIDGETS_API int cqt_widget_get_range(const cqt_widget *w, double *min, double *max);

/* cqt_widget_set_checked:
 * Sets the state of a check box; toggled fires when it changes.
 * Returns: CQT_OK; CQT_EINVAL (NULL or dead @w, not a check box);
 * CQT_EWRONGTHREAD; CQT_ESTATE. Thread: GUI (the main thread). */
CQT_WIDGETS_API int cqt_widget_set_checked(cqt_widget *w, bool checked);

/* cqt_widget_get_checked:
 * As cqt_widget_set_checked(), stores the state in @out.
 * Returns: CQT_OK; CQT_EINVAL (NULL or dead @w, not a check box, NULL
 * @out); CQT_EWRONGTHREAD; CQT_ESTATE. Thread: GUI (the main thread). */
CQT_WIDGETS_API int cqt_widget_get_checked(const cqt_widget *w, bool *out);

/* cqt_widget_set_enabled:
 * Whether any widget takes input (a disabled container disables what it
 * holds).
 * Returns: CQT_OK; CQT_EINVAL (NULL or dead @w); CQT_EWRONGTHREAD;
 * CQT_ESTATE. Thread: GUI (the main thread). */
CQT_WIDGETS_API int cqt_widget_set_enabled(cqt_widget *w, bool enabled);

/* cqt_widget_get_enabled:
 * As cqt_widget_set_enabled(), stores in @out the widget's own setting
 * (true inside a disabled container that was not disabled itself).
 * Returns: CQT_OK; CQT_EINVAL (NULL or dead @w, NULL @out); CQT_EWRONGTHREAD;
 * CQT_ESTATE. Thread: GUI (the main thread). */
CQT_WIDGETS_API int cqt_widget_get_enabled(const cqt_widget *w, bool *out);

/* cqt_widget_set_tooltip:
 * The hover text of any widget; @text nullable (none) and copied.
 * Returns: CQT_OK; CQT_EINVAL (NULL or dead @w); CQT_EWRONGTHREAD;
 * CQT_ESTATE. Thread: GUI (the main thread). */
CQT_WIDGETS_API int cqt_widget_set_tooltip(cqt_widget *w, const char *text);

/* cqt_widget_set_suffix:
 * Text after a spin box's or double spin box's number (" ms"); @suffix
 * nullable (none) and copied.
 * Returns: CQT_OK; CQT_EINVAL (NULL or dead @w, another kind);
 * CQT_EWRONGTHREAD; CQT_ESTATE. Thread: GUI (the main thread). */
CQT_WIDGETS_API int cqt_widget_set_suffix(cqt_widget *w, const char *suffix);

/* cqt_widget_set_alignment:
 * Of a label's, spin box's, double spin box's or progress bar's text
 * (vertically centred).
 * Returns: CQT_OK; CQT_EINVAL (NULL or dead @w, an unknown @align,
 * another kind); CQT_EWRONGTHREAD;
 * CQT_ESTATE. Thread: GUI (the main thread). */
CQT_WIDGETS_API int cqt_widget_set_alignment(cqt_widget *w, cqt_align align);

/* cqt_widget_set_minimum_width:
 * At least @pixels (0..100000) wide; any widget.
 * Returns: CQT_OK; CQT_EINVAL (NULL or dead @w, @pixels outside
 * 0..100000); CQT_EWRONGTHREAD; CQT_ESTATE. Thread: GUI (the main thread). */
CQT_WIDGETS_API int cqt_widget_set_minimum_width(cqt_widget *w, int pixels);

/* cqt_widget_set_style_sheet:
 * A Qt style sheet for @w and what it holds ("color: #1a7f37;
 * font-weight: bold"); nullable: back to the default look. A sheet Qt
 * cannot parse is not detected here (still CQT_OK).
 * Returns: CQT_OK; CQT_EINVAL (NULL or dead @w); CQT_EWRONGTHREAD;
 * CQT_ESTATE. Thread: GUI (the main thread). */
CQT_WIDGETS_API int cqt_widget_set_style_sheet(cqt_widget *w, const char *css);

/* cqt_widget_get_size:
 * Stores @w's current size in pixels (each output nullable).
 * Returns: CQT_OK; CQT_EINVAL (NULL or dead @w); CQT_EWRONGTHREAD;
 * CQT_ESTATE. Thread: GUI (the main thread). */
CQT_WIDGETS_API int cqt_widget_get_size(const cqt_widget *w, int *width, int *height);

/* cqt_widget_click:
 * Clicks a push button or check box as the user would (a check box
 * toggles); clicked (and toggled) fire before this returns. Nothing
 * happens for a disabled one (CQT_OK).
 * Returns: CQT_OK; CQT_EINVAL (NULL or dead @w, another kind);
 * CQT_EWRONGTHREAD; CQT_ESTATE. Thread: GUI (the main thread); the
 * callbacks run in it, nested in this call. */
CQT_WIDGETS_API int cqt_widget_click(cqt_widget *w);

/* cqt_widget_grab:
 * Renders @w (a window: its whole content, status bar included) and saves
 * it to @path, the format chosen by its extension (".png").
 * Returns: CQT_OK; CQT_EINVAL also for a NULL @path, an unknown extension
 * or a file that cannot be written (the message says which);
 * CQT_EWRONGTHREAD; CQT_ESTATE. Thread: GUI (the main thread). */
CQT_WIDGETS_API int cqt_widget_grab(cqt_widget *w, const char *path);

/* ---- signals ------------------------------------------------------------- */
/* Each returns a connection id (never 0, never reused) for
 * cqt_widget_disconnect(); 0 on failure (NULL @w or @fn, a kind without
 * that signal, wrong thread, no GUI app) with @destroy already run. */

/* cqt_widget_on_clicked:
 * Calls @fn when a push button or check box is clicked.
 * Returns: the connection id; 0 on failure (NULL or dead @w, NULL @fn,
 * another kind, CQT_EWRONGTHREAD, CQT_ESTATE), @destroy already run.
 * Thread: GUI (the main thread); @fn runs in it, @destroy as said at the
 * top of this file. */
CQT_WIDGETS_API cqt_connection cqt_widget_on_clicked(cqt_widget *w, cqt_widget_fn fn,
                                                     void *user_data, cqt_destroy_fn destroy);

/* cqt_widget_on_toggled:
 * Calls @fn with the new state when a check box toggles.
 * Returns: the connection id; 0 on failure (NULL or dead @w, NULL @fn,
 * not a check box, CQT_EWRONGTHREAD, CQT_ESTATE), @destroy already run.
 * Thread: GUI (the main thread); @fn runs in it, @destroy as said at the
 * top of this file. */
CQT_WIDGETS_API cqt_connection cqt_widget_on_toggled(cqt_widget *w, cqt_widget_toggled_fn fn,
                                                     void *user_data, cqt_destroy_fn destroy);

/* cqt_widget_on_value_changed:
 * Calls @fn with the new value when a spin box, double spin box or slider
 * changes.
 * Returns: the connection id; 0 on failure (NULL or dead @w, NULL @fn,
 * another kind, CQT_EWRONGTHREAD, CQT_ESTATE), @destroy already run.
 * Thread: GUI (the main thread); @fn runs in it, @destroy as said at the
 * top of this file. */
CQT_WIDGETS_API cqt_connection cqt_widget_on_value_changed(cqt_widget *w, cqt_widget_value_fn fn,
                                                           void *user_data,
                                                           cqt_destroy_fn destroy);

/* cqt_widget_disconnect:
 * Ends registration @c of @w (a signal, a shortcut or the close handler
 * of a window); its fn is not called again and its destroy runs — at
 * once, or, when called from inside that fn, right after the fn returns.
 * Returns: CQT_OK; CQT_EINVAL for NULL, 0 or an id that is not a live
 * registration of @w (a second disconnect); CQT_EWRONGTHREAD; CQT_ESTATE.
 * Thread: GUI. */
CQT_WIDGETS_API int cqt_widget_disconnect(cqt_widget *w, cqt_connection c);

#ifdef __cplusplus
}
#endif

#endif /* CQT_WIDGETS_H */
