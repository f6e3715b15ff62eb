/* SPDX-License-Identifier: MIT */
/* test-widgets.c — libcqt-widgets: building, properties, callbacks in the GUI
 * thread, destroy-exactly-once, wrong-thread calls (P13), bad input, grabs,
 * and the demo-only raw P1 axis. Runs under QT_QPA_PLATFORM=offscreen and
 * under Xvfb (tests/gui/meson.build registers both). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cqt/widgets.h>

#include "demo-naive.h" /* shim/widgets: the naive QTimer, not in any library */

#include "cqt-test.h"

static int gui_argc = 1;
static char gui_arg0[] = "test-widgets";
static char *gui_argv[] = {gui_arg0, NULL};

/* The GUI fixture: a QApplication (the core fixture makes a core one). The
 * teardown is the shared one: shutdown succeeds and nothing leaked. */
static void gui_setup(void)
{
    ck_assert_int_eq(cqt_widgets_init(), CQT_OK);
    int rc = cqt_app_init(&gui_argc, gui_argv, CQT_APP_GUI);
    ck_assert_msg(rc == CQT_OK, "cqt_app_init(GUI): %s (%s)", cqt_status_name(rc), cqt_last_error());
}

static TCase *gui_case(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, gui_setup, cqt_test_app_teardown);
    tcase_set_timeout(tc, 120);
    return tc;
}

/* ---- helpers ---------------------------------------------------------------- */

typedef struct counter {
    cqt_test_counter calls, destroys;
    cqt_thread *thread;      /* where the last call ran */
    double value;
    bool checked;
    cqt_widget *last;
    bool keep_open;          /* close handler answer */
    cqt_widget *free_window; /* clicked: free this window from inside */
    cqt_widget *self_disconnect;
    cqt_connection self_id;
} counter;

static void on_destroy(void *user_data)
{
    cqt_test_counter_add(&((counter *)user_data)->destroys, 1);
}

static void on_clicked(void *user_data, cqt_widget *w)
{
    counter *c = user_data;
    cqt_test_counter_add(&c->calls, 1);
    c->thread = cqt_thread_current();
    c->last = w;
    if (c->self_disconnect) {
        ck_assert_int_eq(cqt_widget_disconnect(c->self_disconnect, c->self_id), CQT_OK);
        /* destroy waits until this fn returned */
        ck_assert_int_eq(cqt_test_counter_get(&c->destroys), 0);
    }
    if (c->free_window) {
        ck_assert_int_eq(cqt_window_free(c->free_window), CQT_OK);
        /* the handles die at once, the widgets once the loop runs */
        ck_assert_int_eq(cqt_widget_get_kind(w), CQT_EINVAL);
    }
}

static void on_toggled(void *user_data, cqt_widget *w, bool on)
{
    counter *c = user_data;
    cqt_test_counter_add(&c->calls, 1);
    c->thread = cqt_thread_current();
    c->checked = on;
    c->last = w;
}

static void on_value(void *user_data, cqt_widget *w, double v)
{
    counter *c = user_data;
    cqt_test_counter_add(&c->calls, 1);
    c->thread = cqt_thread_current();
    c->value = v;
    c->last = w;
}

static bool on_close(void *user_data, cqt_widget *window)
{
    counter *c = user_data;
    cqt_test_counter_add(&c->calls, 1);
    c->last = window;
    return !c->keep_open;
}

static char *text_of(const cqt_widget *w)
{
    static char buf[4096];
    int n = cqt_widget_get_text(w, buf, sizeof buf);
    ck_assert_msg(n >= 0, "get_text: %s", cqt_last_error());
    return buf;
}

/* ---- building and properties -------------------------------------------- */

START_TEST(test_widgets_build_every_kind)
{
    cqt_widget *win = cqt_window_new("title");
    ck_assert_ptr_nonnull(win);
    ck_assert_int_eq(cqt_widget_get_kind(win), CQT_WIDGET_WINDOW);
    cqt_widget *box = cqt_box_new(win, CQT_HORIZONTAL);
    cqt_widget *grid = cqt_grid_new(win, 2);
    cqt_widget *group = cqt_group_box_new(win, "group", CQT_VERTICAL);
    cqt_widget *label = cqt_label_new(grid, "label");
    cqt_widget *button = cqt_push_button_new(grid, "button");
    cqt_widget *check = cqt_check_box_new(box, "check", true);
    cqt_widget *spin = cqt_spin_box_new(group, -5, 5, 2);
    cqt_widget *dspin = cqt_double_spin_box_new(group, 0.0, 1.0, 0.25, 3);
    cqt_widget *slider = cqt_slider_new(box, CQT_VERTICAL, 0, 10, 3);
    cqt_widget *bar = cqt_progress_bar_new(box, 0, 50);
    cqt_widget *log = cqt_log_view_new(win, 0);
    cqt_widget *status = cqt_window_status_bar(win);
    cqt_widget *status_label = cqt_label_new(status, "right");
    const cqt_widget *all[] = {box, grid, group, label, button, check, spin, dspin, slider,
                               bar, log, status, status_label};
    const int kinds[] = {CQT_WIDGET_BOX, CQT_WIDGET_GRID, CQT_WIDGET_GROUP_BOX,
                         CQT_WIDGET_LABEL, CQT_WIDGET_PUSH_BUTTON, CQT_WIDGET_CHECK_BOX,
                         CQT_WIDGET_SPIN_BOX, CQT_WIDGET_DOUBLE_SPIN_BOX, CQT_WIDGET_SLIDER,
                         CQT_WIDGET_PROGRESS_BAR, CQT_WIDGET_LOG_VIEW, CQT_WIDGET_STATUS_BAR,
                         CQT_WIDGET_LABEL};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        ck_assert_msg(all[i] != NULL, "widget %zu: %s", i, cqt_last_error());
        ck_assert_int_eq(cqt_widget_get_kind(all[i]), kinds[i]);
        ck_assert_str_ne(cqt_widget_kind_name(kinds[i]), "unknown");
    }
    ck_assert_str_eq(cqt_widget_kind_name(0), "unknown");
    ck_assert_ptr_eq(cqt_window_status_bar(win), status); /* one per window */

    /* text */
    ck_assert_str_eq(text_of(win), "title");
    ck_assert_int_eq(cqt_widget_set_text(win, "new title"), CQT_OK);
    ck_assert_str_eq(text_of(win), "new title");
    ck_assert_int_eq(cqt_widget_set_text(label, "héllo"), CQT_OK);
    ck_assert_str_eq(text_of(label), "héllo");
    ck_assert_int_eq(cqt_widget_set_text(button, NULL), CQT_OK);
    ck_assert_str_eq(text_of(button), "");
    ck_assert_str_eq(text_of(group), "group");
    ck_assert_int_eq(cqt_widget_set_text(bar, "%v of %m"), CQT_OK);
    ck_assert_str_eq(text_of(bar), "%v of %m");
    ck_assert_int_eq(cqt_widget_set_text(status, "message"), CQT_OK);
    ck_assert_str_eq(text_of(status), "message");
    ck_assert_int_eq(cqt_status_bar_show_message(status, "other", 0), CQT_OK);
    ck_assert_str_eq(text_of(status), "other");
    ck_assert_int_eq(cqt_widget_set_suffix(spin, " mm"), CQT_OK);
    ck_assert_str_eq(text_of(spin), "2 mm");
    /* snprintf semantics: full length returned, truncated copy */
    char small[4];
    ck_assert_int_eq(cqt_widget_get_text(label, small, sizeof small), (int)strlen("héllo"));
    ck_assert_str_eq(small, "h\xc3\xa9");
    ck_assert_int_eq(cqt_widget_get_text(label, NULL, 0), (int)strlen("héllo"));

    /* values and ranges: integer widgets round, every widget clamps */
    double v, lo, hi;
    ck_assert_int_eq(cqt_widget_set_value(spin, 3.6), CQT_OK);
    ck_assert_int_eq(cqt_widget_get_value(spin, &v), CQT_OK);
    ck_assert_double_eq(v, 4);
    ck_assert_int_eq(cqt_widget_set_value(spin, 1e300), CQT_OK);
    ck_assert_int_eq(cqt_widget_get_value(spin, &v), CQT_OK);
    ck_assert_double_eq(v, 5);
    ck_assert_int_eq(cqt_widget_set_value(dspin, 0.5), CQT_OK);
    ck_assert_int_eq(cqt_widget_get_value(dspin, &v), CQT_OK);
    ck_assert_double_eq_tol(v, 0.5, 1e-9);
    ck_assert_int_eq(cqt_widget_set_range(slider, -10, 20), CQT_OK);
    ck_assert_int_eq(cqt_widget_get_range(slider, &lo, &hi), CQT_OK);
    ck_assert_double_eq(lo, -10);
    ck_assert_double_eq(hi, 20);
    ck_assert_int_eq(cqt_widget_get_range(slider, NULL, NULL), CQT_OK);
    ck_assert_int_eq(cqt_widget_set_value(bar, 60), CQT_OK);
    ck_assert_int_eq(cqt_widget_get_value(bar, &v), CQT_OK);
    ck_assert_double_eq(v, 50);
    ck_assert_int_eq(cqt_widget_set_range(dspin, -1.5, 1.5), CQT_OK);
    ck_assert_int_eq(cqt_widget_get_range(dspin, &lo, &hi), CQT_OK);
    ck_assert_double_eq_tol(lo, -1.5, 1e-9);

    /* checked and enabled */
    bool b;
    ck_assert_int_eq(cqt_widget_get_checked(check, &b), CQT_OK);
    ck_assert(b);
    ck_assert_int_eq(cqt_widget_set_checked(check, false), CQT_OK);
    ck_assert_int_eq(cqt_widget_get_checked(check, &b), CQT_OK);
    ck_assert(!b);
    ck_assert_int_eq(cqt_widget_get_enabled(button, &b), CQT_OK);
    ck_assert(b);
    ck_assert_int_eq(cqt_widget_set_enabled(button, false), CQT_OK);
    ck_assert_int_eq(cqt_widget_get_enabled(button, &b), CQT_OK);
    ck_assert(!b);

    /* layout and looks */
    ck_assert_int_eq(cqt_grid_place(button, 3, 0, 1, 2), CQT_OK);
    ck_assert_int_eq(cqt_grid_set_column_stretch(grid, 1, 2), CQT_OK);
    ck_assert_int_eq(cqt_box_add_stretch(box, 0), CQT_OK);
    ck_assert_int_eq(cqt_box_add_stretch(group, 3), CQT_OK);
    ck_assert_int_eq(cqt_widget_set_tooltip(label, "tip"), CQT_OK);
    ck_assert_int_eq(cqt_widget_set_alignment(label, CQT_ALIGN_RIGHT), CQT_OK);
    ck_assert_int_eq(cqt_widget_set_alignment(spin, CQT_ALIGN_CENTER), CQT_OK);
    ck_assert_int_eq(cqt_widget_set_minimum_width(label, 120), CQT_OK);
    ck_assert_int_eq(cqt_widget_set_style_sheet(label, "color: red;"), CQT_OK);
    ck_assert_int_eq(cqt_window_resize(win, 400, 300), CQT_OK);
    int w = 0, h = 0;
    ck_assert_int_eq(cqt_widget_get_size(win, &w, &h), CQT_OK);
    ck_assert_int_ge(w, 400);
    ck_assert_int_ge(h, 300);

    ck_assert_int_eq(cqt_window_free(win), CQT_OK);
    /* every handle of the window is dead now, and refused */
    ck_assert_int_eq(cqt_widget_get_kind(label), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_set_text(button, "x"), CQT_EINVAL);
    ck_assert_int_eq(cqt_window_free(win), CQT_EINVAL);
}
END_TEST

START_TEST(test_widgets_log_view_caps_lines)
{
    cqt_widget *win = cqt_window_new(NULL);
    cqt_widget *log = cqt_log_view_new(win, 3);
    int n = -1;
    ck_assert_int_eq(cqt_log_view_line_count(log, &n), CQT_OK);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(cqt_log_view_append(log, "one"), CQT_OK);
    ck_assert_int_eq(cqt_log_view_line_count(log, &n), CQT_OK);
    ck_assert_int_eq(n, 1);
    for (int i = 2; i <= 5; i++) {
        char line[16];
        snprintf(line, sizeof line, "line %d", i);
        ck_assert_int_eq(cqt_log_view_append(log, line), CQT_OK);
    }
    ck_assert_int_eq(cqt_log_view_line_count(log, &n), CQT_OK);
    ck_assert_int_eq(n, 3);
    ck_assert_str_eq(text_of(log), "line 3\nline 4\nline 5");
    ck_assert_int_eq(cqt_log_view_append(log, "a\nb"), CQT_OK);
    ck_assert_str_eq(text_of(log), "line 5\na\nb");
    ck_assert_int_eq(cqt_log_view_clear(log), CQT_OK);
    ck_assert_int_eq(cqt_log_view_line_count(log, &n), CQT_OK);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(cqt_window_free(win), CQT_OK);
}
END_TEST

/* ---- callbacks ------------------------------------------------------------ */

START_TEST(test_widgets_callbacks_run_in_gui_thread)
{
    static counter clicked, toggled, value, dvalue, slid;
    cqt_widget *win = cqt_window_new(NULL);
    cqt_widget *button = cqt_push_button_new(win, "b");
    cqt_widget *check = cqt_check_box_new(win, "c", false);
    cqt_widget *spin = cqt_spin_box_new(win, 0, 10, 0);
    cqt_widget *dspin = cqt_double_spin_box_new(win, 0, 10, 0, 2);
    cqt_widget *slider = cqt_slider_new(win, CQT_HORIZONTAL, 0, 10, 0);
    ck_assert_uint_ne(cqt_widget_on_clicked(button, on_clicked, &clicked, on_destroy), 0);
    ck_assert_uint_ne(cqt_widget_on_toggled(check, on_toggled, &toggled, on_destroy), 0);
    ck_assert_uint_ne(cqt_widget_on_value_changed(spin, on_value, &value, on_destroy), 0);
    ck_assert_uint_ne(cqt_widget_on_value_changed(dspin, on_value, &dvalue, on_destroy), 0);
    ck_assert_uint_ne(cqt_widget_on_value_changed(slider, on_value, &slid, on_destroy), 0);

    ck_assert_int_eq(cqt_widget_click(button), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&clicked.calls), 1);
    ck_assert_ptr_eq(clicked.thread, cqt_thread_main());
    ck_assert_ptr_eq(clicked.last, button);

    ck_assert_int_eq(cqt_widget_click(check), CQT_OK); /* toggles */
    ck_assert_int_eq(cqt_test_counter_get(&toggled.calls), 1);
    ck_assert(toggled.checked);
    ck_assert_int_eq(cqt_widget_set_checked(check, false), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&toggled.calls), 2);
    ck_assert(!toggled.checked);
    ck_assert_int_eq(cqt_widget_set_checked(check, false), CQT_OK); /* no change: no call */
    ck_assert_int_eq(cqt_test_counter_get(&toggled.calls), 2);

    ck_assert_int_eq(cqt_widget_set_value(spin, 7), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&value.calls), 1);
    ck_assert_double_eq(value.value, 7);
    ck_assert_int_eq(cqt_widget_set_value(dspin, 2.5), CQT_OK);
    ck_assert_double_eq_tol(dvalue.value, 2.5, 1e-9);
    ck_assert_int_eq(cqt_widget_set_value(slider, 9), CQT_OK);
    ck_assert_double_eq(slid.value, 9);
    ck_assert_ptr_eq(slid.thread, cqt_thread_main());

    /* a disabled button does not click */
    ck_assert_int_eq(cqt_widget_set_enabled(button, false), CQT_OK);
    ck_assert_int_eq(cqt_widget_click(button), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&clicked.calls), 1);

    ck_assert_int_eq(cqt_window_free(win), CQT_OK);
    counter *all[] = {&clicked, &toggled, &value, &dvalue, &slid};
    for (size_t i = 0; i < 5; i++)
        ck_assert_int_eq(cqt_test_counter_get(&all[i]->destroys), 1);
}
END_TEST

START_TEST(test_widgets_shortcuts_and_send_keys)
{
    static counter key, other;
    cqt_widget *win = cqt_window_new(NULL);
    cqt_widget *button = cqt_push_button_new(win, "b");
    (void)button;
    cqt_connection id = cqt_window_add_shortcut(win, "Ctrl+T", on_clicked, &key, on_destroy);
    ck_assert_uint_ne(id, 0);
    ck_assert_uint_ne(cqt_window_add_shortcut(win, "F7", on_clicked, &other, on_destroy), 0);
    /* not shown yet: nobody could press them */
    ck_assert_int_eq(cqt_window_send_keys(win, "Ctrl+T"), CQT_EINVAL);
    ck_assert_int_eq(cqt_window_show(win), CQT_OK);
    ck_assert_int_eq(cqt_window_send_keys(win, "Ctrl+T"), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&key.calls), 1);
    ck_assert_ptr_eq(key.last, win);
    ck_assert_ptr_eq(key.thread, cqt_thread_main());
    ck_assert_int_eq(cqt_window_send_keys(win, "F7"), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&other.calls), 1);
    ck_assert_int_eq(cqt_window_send_keys(win, "Ctrl+Shift+U"), CQT_ECANCELED);
    ck_assert_int_eq(cqt_window_send_keys(win, "Ctrl+T, Ctrl+U"), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_disconnect(win, id), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&key.destroys), 1);
    ck_assert_int_eq(cqt_window_send_keys(win, "Ctrl+T"), CQT_ECANCELED);
    ck_assert_int_eq(cqt_test_counter_get(&key.calls), 1);
    ck_assert_int_eq(cqt_window_free(win), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&key.destroys), 1);
    ck_assert_int_eq(cqt_test_counter_get(&other.destroys), 1);
}
END_TEST

START_TEST(test_widgets_close_handler)
{
    static counter closer, replaced;
    cqt_widget *win = cqt_window_new(NULL);
    ck_assert_int_eq(cqt_window_show(win), CQT_OK);
    bool visible = false;
    ck_assert_uint_ne(cqt_window_on_close(win, on_close, &replaced, on_destroy), 0);
    cqt_connection id = cqt_window_on_close(win, on_close, &closer, on_destroy);
    ck_assert_uint_ne(id, 0);
    ck_assert_int_eq(cqt_test_counter_get(&replaced.destroys), 1); /* one handler per window */
    closer.keep_open = true;
    ck_assert_int_eq(cqt_window_close(win), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&closer.calls), 1);
    ck_assert_int_eq(cqt_window_is_visible(win, &visible), CQT_OK);
    ck_assert(visible);
    closer.keep_open = false;
    ck_assert_int_eq(cqt_window_close(win), CQT_OK);
    ck_assert_int_eq(cqt_window_is_visible(win, &visible), CQT_OK);
    ck_assert(!visible);
    ck_assert_int_eq(cqt_test_counter_get(&replaced.calls), 0);

    /* without a handler, closing asks the main loop to return 0 */
    ck_assert_int_eq(cqt_widget_disconnect(win, id), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&closer.destroys), 1);
    ck_assert_int_eq(cqt_window_show(win), CQT_OK);
    ck_assert_int_eq(cqt_window_close(win), CQT_OK);
    ck_assert_int_eq(cqt_app_exec(), 0);
    ck_assert_int_eq(cqt_window_free(win), CQT_OK);
}
END_TEST

/* ---- destroy exactly once --------------------------------------------------- */

START_TEST(test_widgets_destroy_once_on_disconnect_and_failure)
{
    static counter c[5], failed[6];
    cqt_widget *win = cqt_window_new(NULL);
    cqt_widget *button = cqt_push_button_new(win, "b");
    cqt_widget *check = cqt_check_box_new(win, "c", false);
    cqt_widget *spin = cqt_spin_box_new(win, 0, 9, 0);
    cqt_widget *label = cqt_label_new(win, "l");
    cqt_connection ids[5] = {
        cqt_widget_on_clicked(button, on_clicked, &c[0], on_destroy),
        cqt_widget_on_toggled(check, on_toggled, &c[1], on_destroy),
        cqt_widget_on_value_changed(spin, on_value, &c[2], on_destroy),
        cqt_window_add_shortcut(win, "Ctrl+1", on_clicked, &c[3], on_destroy),
        cqt_window_on_close(win, on_close, &c[4], on_destroy),
    };
    cqt_widget *owner[5] = {button, check, spin, win, win};
    for (int i = 0; i < 5; i++) {
        ck_assert_uint_ne(ids[i], 0);
        for (int j = 0; j < i; j++)
            ck_assert_uint_ne(ids[i], ids[j]); /* never reused */
        ck_assert_int_eq(cqt_test_counter_get(&c[i].destroys), 0);
        ck_assert_int_eq(cqt_widget_disconnect(owner[i], ids[i]), CQT_OK);
        ck_assert_int_eq(cqt_test_counter_get(&c[i].destroys), 1);
        ck_assert_int_eq(cqt_widget_disconnect(owner[i], ids[i]), CQT_EINVAL);
    }
    ck_assert_int_eq(cqt_widget_disconnect(button, 0), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_disconnect(label, ids[0]), CQT_EINVAL);
    /* no call after the disconnect */
    cqt_widget_click(button);
    ck_assert_int_eq(cqt_test_counter_get(&c[0].calls), 0);

    /* failed registrations run destroy at once, exactly once */
    ck_assert_uint_eq(cqt_widget_on_clicked(label, on_clicked, &failed[0], on_destroy), 0);
    ck_assert_uint_eq(cqt_widget_on_toggled(button, on_toggled, &failed[1], on_destroy), 0);
    ck_assert_uint_eq(cqt_widget_on_value_changed(check, on_value, &failed[2], on_destroy), 0);
    ck_assert_uint_eq(cqt_window_add_shortcut(win, "Ctrl+Nothing+Key", on_clicked, &failed[3],
                                              on_destroy), 0);
    ck_assert_uint_eq(cqt_window_on_close(button, on_close, &failed[4], on_destroy), 0);
    ck_assert_uint_eq(cqt_widget_on_clicked(button, NULL, &failed[5], on_destroy), 0);
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(cqt_test_counter_get(&failed[i].destroys), 1);
    /* NULL destroy is fine */
    ck_assert_uint_ne(cqt_widget_on_clicked(button, on_clicked, &c[0], NULL), 0);
    ck_assert_int_eq(cqt_window_free(win), CQT_OK);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(cqt_test_counter_get(&c[i].destroys), 1);
}
END_TEST

START_TEST(test_widgets_destroy_once_on_window_free)
{
    static counter c[5];
    cqt_widget *win = cqt_window_new(NULL);
    cqt_widget *button = cqt_push_button_new(win, "b");
    cqt_widget *check = cqt_check_box_new(cqt_box_new(win, CQT_VERTICAL), "c", false);
    cqt_widget *slider = cqt_slider_new(cqt_grid_new(win, 3), CQT_HORIZONTAL, 0, 9, 0);
    ck_assert_uint_ne(cqt_widget_on_clicked(button, on_clicked, &c[0], on_destroy), 0);
    ck_assert_uint_ne(cqt_widget_on_toggled(check, on_toggled, &c[1], on_destroy), 0);
    ck_assert_uint_ne(cqt_widget_on_value_changed(slider, on_value, &c[2], on_destroy), 0);
    ck_assert_uint_ne(cqt_window_add_shortcut(win, "Esc", on_clicked, &c[3], on_destroy), 0);
    ck_assert_uint_ne(cqt_window_on_close(win, on_close, &c[4], on_destroy), 0);
    ck_assert_int_eq(cqt_window_free(win), CQT_OK);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(cqt_test_counter_get(&c[i].destroys), 1);
        ck_assert_int_eq(cqt_test_counter_get(&c[i].calls), 0); /* freeing is not closing */
    }
}
END_TEST

START_TEST(test_widgets_disconnect_inside_own_callback)
{
    static counter c;
    cqt_widget *win = cqt_window_new(NULL);
    cqt_widget *button = cqt_push_button_new(win, "b");
    c.self_id = cqt_widget_on_clicked(button, on_clicked, &c, on_destroy);
    c.self_disconnect = button;
    ck_assert_int_eq(cqt_widget_click(button), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&c.calls), 1);
    ck_assert_int_eq(cqt_test_counter_get(&c.destroys), 1); /* right after fn returned */
    ck_assert_int_eq(cqt_widget_click(button), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&c.calls), 1);
    ck_assert_int_eq(cqt_window_free(win), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&c.destroys), 1);
}
END_TEST

static bool destroyed_once(void *arg)
{
    return cqt_test_counter_get(&((counter *)arg)->destroys) == 1;
}

START_TEST(test_widgets_free_window_inside_callback)
{
    static counter c, other;
    cqt_widget *win = cqt_window_new(NULL);
    cqt_widget *button = cqt_push_button_new(win, "b");
    cqt_widget *label = cqt_label_new(win, "l");
    ck_assert_uint_ne(cqt_window_add_shortcut(win, "F2", on_clicked, &other, on_destroy), 0);
    ck_assert_uint_ne(cqt_widget_on_clicked(button, on_clicked, &c, on_destroy), 0);
    c.free_window = win;
    ck_assert_int_eq(cqt_widget_click(button), CQT_OK);
    ck_assert_int_eq(cqt_widget_get_kind(label), CQT_EINVAL);
    /* the Qt objects go when the loop runs: then every destroy, once */
    ck_assert(cqt_test_run_until(destroyed_once, &c, CQT_TEST_TIMEOUT_MS));
    ck_assert(cqt_test_run_until(destroyed_once, &other, CQT_TEST_TIMEOUT_MS));
    cqt_app_process_events(0);
    ck_assert_int_eq(cqt_test_counter_get(&c.destroys), 1);
    ck_assert_int_eq(cqt_test_counter_get(&c.calls), 1);
}
END_TEST

/* Windows still open at cqt_app_shutdown() are freed there: destroy once. */
START_TEST(test_widgets_destroy_once_at_shutdown)
{
    static counter c[2];
    gui_setup();
    cqt_widget *win = cqt_window_new(NULL);
    cqt_widget *button = cqt_push_button_new(win, "b");
    ck_assert_uint_ne(cqt_widget_on_clicked(button, on_clicked, &c[0], on_destroy), 0);
    ck_assert_uint_ne(cqt_window_on_close(win, on_close, &c[1], on_destroy), 0);
    ck_assert_int_eq(cqt_app_shutdown(CQT_TEST_TIMEOUT_MS), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&c[0].destroys), 1);
    ck_assert_int_eq(cqt_test_counter_get(&c[1].destroys), 1);
    ck_assert_int_eq(cqt_test_counter_get(&c[1].calls), 0);
    /* a second application works too */
    gui_setup();
    win = cqt_window_new(NULL);
    ck_assert_ptr_nonnull(win);
    ck_assert_int_eq(cqt_app_shutdown(CQT_TEST_TIMEOUT_MS), CQT_OK);
}
END_TEST

/* ---- P13: calls from another thread ---------------------------------------- */

typedef struct foreign {
    cqt_widget *win, *label, *button, *spin, *check, *log, *grid, *status, *bar;
    counter reg;
    int fails;
    char first_failure[512];
} foreign;

#define EXPECT_WRONG(f, call)                                                                    \
    do {                                                                                         \
        int rc_ = (call);                                                                        \
        if (rc_ != CQT_EWRONGTHREAD && (f)->fails++ == 0)                                        \
            snprintf((f)->first_failure, sizeof (f)->first_failure, "%s -> %s", #call,           \
                     cqt_status_name(rc_));                                                      \
    } while (0)

#define EXPECT_NULL(f, call)                                                                     \
    do {                                                                                         \
        bool bad_ = (call) != 0 || !strstr(cqt_last_error(), "GUI thread");                      \
        if (bad_ && (f)->fails++ == 0)                                                           \
            snprintf((f)->first_failure, sizeof (f)->first_failure, "%s -> not refused (%s)",    \
                     #call, cqt_last_error());                                                   \
    } while (0)

static void *foreign_calls(void *arg)
{
    foreign *f = arg;
    char buf[64];
    double v;
    bool b;
    int n;
    EXPECT_NULL(f, cqt_window_new("x"));
    EXPECT_NULL(f, cqt_box_new(f->win, CQT_VERTICAL));
    EXPECT_NULL(f, cqt_grid_new(f->win, 2));
    EXPECT_NULL(f, cqt_group_box_new(f->win, "g", CQT_VERTICAL));
    EXPECT_NULL(f, cqt_label_new(f->win, "l"));
    EXPECT_NULL(f, cqt_push_button_new(f->win, "b"));
    EXPECT_NULL(f, cqt_check_box_new(f->win, "c", true));
    EXPECT_NULL(f, cqt_spin_box_new(f->win, 0, 1, 0));
    EXPECT_NULL(f, cqt_double_spin_box_new(f->win, 0, 1, 0, 1));
    EXPECT_NULL(f, cqt_slider_new(f->win, CQT_HORIZONTAL, 0, 1, 0));
    EXPECT_NULL(f, cqt_progress_bar_new(f->win, 0, 1));
    EXPECT_NULL(f, cqt_log_view_new(f->win, 10));
    EXPECT_NULL(f, cqt_window_status_bar(f->win));
    EXPECT_NULL(f, cqt_widget_on_clicked(f->button, on_clicked, &f->reg, on_destroy));
    EXPECT_NULL(f, cqt_widget_on_toggled(f->check, on_toggled, &f->reg, on_destroy));
    EXPECT_NULL(f, cqt_widget_on_value_changed(f->spin, on_value, &f->reg, on_destroy));
    EXPECT_NULL(f, cqt_window_add_shortcut(f->win, "F3", on_clicked, &f->reg, on_destroy));
    EXPECT_NULL(f, cqt_window_on_close(f->win, on_close, &f->reg, on_destroy));
    EXPECT_WRONG(f, cqt_window_show(f->win));
    EXPECT_WRONG(f, cqt_window_close(f->win));
    EXPECT_WRONG(f, cqt_window_is_visible(f->win, &b));
    EXPECT_WRONG(f, cqt_window_resize(f->win, 10, 10));
    EXPECT_WRONG(f, cqt_window_send_keys(f->win, "F3"));
    EXPECT_WRONG(f, cqt_box_add_stretch(f->win, 1));
    EXPECT_WRONG(f, cqt_grid_set_column_stretch(f->grid, 0, 1));
    EXPECT_WRONG(f, cqt_grid_place(f->label, 0, 0, 1, 1));
    EXPECT_WRONG(f, cqt_log_view_append(f->log, "from a worker"));
    EXPECT_WRONG(f, cqt_log_view_clear(f->log));
    EXPECT_WRONG(f, cqt_log_view_line_count(f->log, &n));
    EXPECT_WRONG(f, cqt_status_bar_show_message(f->status, "x", 0));
    EXPECT_WRONG(f, cqt_widget_get_kind(f->label));
    EXPECT_WRONG(f, cqt_widget_set_text(f->label, "changed"));
    EXPECT_WRONG(f, cqt_widget_get_text(f->label, buf, sizeof buf));
    EXPECT_WRONG(f, cqt_widget_set_value(f->spin, 5));
    EXPECT_WRONG(f, cqt_widget_get_value(f->spin, &v));
    EXPECT_WRONG(f, cqt_widget_set_range(f->spin, 0, 100));
    EXPECT_WRONG(f, cqt_widget_get_range(f->spin, &v, &v));
    EXPECT_WRONG(f, cqt_widget_set_checked(f->check, false));
    EXPECT_WRONG(f, cqt_widget_get_checked(f->check, &b));
    EXPECT_WRONG(f, cqt_widget_set_enabled(f->button, false));
    EXPECT_WRONG(f, cqt_widget_get_enabled(f->button, &b));
    EXPECT_WRONG(f, cqt_widget_set_tooltip(f->button, "t"));
    EXPECT_WRONG(f, cqt_widget_set_suffix(f->spin, " s"));
    EXPECT_WRONG(f, cqt_widget_set_alignment(f->label, CQT_ALIGN_RIGHT));
    EXPECT_WRONG(f, cqt_widget_set_minimum_width(f->label, 300));
    EXPECT_WRONG(f, cqt_widget_set_style_sheet(f->label, "color: red;"));
    EXPECT_WRONG(f, cqt_widget_get_size(f->win, &n, &n));
    EXPECT_WRONG(f, cqt_widget_click(f->button));
    EXPECT_WRONG(f, cqt_widget_grab(f->win, "/tmp/never.png"));
    EXPECT_WRONG(f, cqt_widget_disconnect(f->button, 1));
    EXPECT_WRONG(f, cqt_window_free(f->win));
    /* NULL handles: the thread is checked first */
    EXPECT_WRONG(f, cqt_widget_set_text(NULL, "x"));
    return NULL;
}

START_TEST(test_widgets_wrong_thread_changes_nothing)
{
    static foreign f;
    f.win = cqt_window_new("window");
    f.grid = cqt_grid_new(f.win, 2);
    f.label = cqt_label_new(f.grid, "label");
    f.button = cqt_push_button_new(f.win, "button");
    f.spin = cqt_spin_box_new(f.win, 0, 10, 3);
    f.check = cqt_check_box_new(f.win, "check", true);
    f.log = cqt_log_view_new(f.win, 10);
    f.status = cqt_window_status_bar(f.win);
    f.bar = cqt_progress_bar_new(f.win, 0, 10);
    ck_assert_int_eq(cqt_log_view_append(f.log, "from main"), CQT_OK);
    static counter clicks;
    ck_assert_uint_ne(cqt_widget_on_clicked(f.button, on_clicked, &clicks, on_destroy), 0);

    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, foreign_calls, &f), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_msg(f.fails == 0, "%d calls were not refused; first: %s", f.fails,
                  f.first_failure);
    /* each refused registration ran its destroy once, in that thread */
    ck_assert_int_eq(cqt_test_counter_get(&f.reg.destroys), 5);
    ck_assert_int_eq(cqt_test_counter_get(&f.reg.calls), 0);

    /* nothing changed */
    double v;
    bool b;
    int n;
    ck_assert_str_eq(text_of(f.label), "label");
    ck_assert_int_eq(cqt_widget_get_value(f.spin, &v), CQT_OK);
    ck_assert_double_eq(v, 3);
    ck_assert_int_eq(cqt_widget_get_range(f.spin, NULL, &v), CQT_OK);
    ck_assert_double_eq(v, 10);
    ck_assert_int_eq(cqt_widget_get_checked(f.check, &b), CQT_OK);
    ck_assert(b);
    ck_assert_int_eq(cqt_widget_get_enabled(f.button, &b), CQT_OK);
    ck_assert(b);
    ck_assert_int_eq(cqt_log_view_line_count(f.log, &n), CQT_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(cqt_window_is_visible(f.win, &b), CQT_OK);
    ck_assert(!b);
    ck_assert_int_eq(cqt_test_counter_get(&clicks.calls), 0);
    ck_assert(access("/tmp/never.png", F_OK) != 0 || unlink("/tmp/never.png") == 0);
    ck_assert_int_eq(cqt_widget_get_kind(f.label), CQT_WIDGET_LABEL); /* still alive */
    ck_assert_int_eq(cqt_window_free(f.win), CQT_OK);
    ck_assert_int_eq(cqt_test_counter_get(&clicks.destroys), 1);
}
END_TEST

/* ---- bad input ---------------------------------------------------------------- */

START_TEST(test_widgets_bad_input)
{
    static counter c;
    char buf[8];
    double v;
    bool b;
    int n;
    /* NULL handles, with an app: CQT_EINVAL, NULL or 0 */
    ck_assert_int_eq(cqt_window_free(NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_window_show(NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_window_close(NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_window_is_visible(NULL, &b), CQT_EINVAL);
    ck_assert_int_eq(cqt_window_resize(NULL, 1, 1), CQT_EINVAL);
    ck_assert_ptr_null(cqt_window_status_bar(NULL));
    ck_assert_uint_eq(cqt_window_on_close(NULL, on_close, &c, on_destroy), 0);
    ck_assert_uint_eq(cqt_window_add_shortcut(NULL, "F1", on_clicked, &c, on_destroy), 0);
    ck_assert_int_eq(cqt_window_send_keys(NULL, "F1"), CQT_EINVAL);
    ck_assert_ptr_null(cqt_box_new(NULL, CQT_VERTICAL));
    ck_assert_int_eq(cqt_box_add_stretch(NULL, 1), CQT_EINVAL);
    ck_assert_ptr_null(cqt_grid_new(NULL, 1));
    ck_assert_int_eq(cqt_grid_set_column_stretch(NULL, 0, 1), CQT_EINVAL);
    ck_assert_int_eq(cqt_grid_place(NULL, 0, 0, 1, 1), CQT_EINVAL);
    ck_assert_ptr_null(cqt_group_box_new(NULL, "g", CQT_VERTICAL));
    ck_assert_ptr_null(cqt_label_new(NULL, "l"));
    ck_assert_ptr_null(cqt_push_button_new(NULL, "b"));
    ck_assert_ptr_null(cqt_check_box_new(NULL, "c", false));
    ck_assert_ptr_null(cqt_spin_box_new(NULL, 0, 1, 0));
    ck_assert_ptr_null(cqt_double_spin_box_new(NULL, 0, 1, 0, 1));
    ck_assert_ptr_null(cqt_slider_new(NULL, CQT_VERTICAL, 0, 1, 0));
    ck_assert_ptr_null(cqt_progress_bar_new(NULL, 0, 1));
    ck_assert_ptr_null(cqt_log_view_new(NULL, 1));
    ck_assert_int_eq(cqt_log_view_append(NULL, "x"), CQT_EINVAL);
    ck_assert_int_eq(cqt_log_view_clear(NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_log_view_line_count(NULL, &n), CQT_EINVAL);
    ck_assert_int_eq(cqt_status_bar_show_message(NULL, "x", 0), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_get_kind(NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_set_text(NULL, "x"), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_get_text(NULL, buf, sizeof buf), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_set_value(NULL, 1), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_get_value(NULL, &v), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_set_range(NULL, 0, 1), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_get_range(NULL, &v, &v), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_set_checked(NULL, true), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_get_checked(NULL, &b), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_set_enabled(NULL, true), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_get_enabled(NULL, &b), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_set_tooltip(NULL, "t"), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_set_suffix(NULL, "s"), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_set_alignment(NULL, CQT_ALIGN_LEFT), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_set_minimum_width(NULL, 1), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_set_style_sheet(NULL, ""), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_get_size(NULL, &n, &n), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_click(NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_grab(NULL, "/tmp/x.png"), CQT_EINVAL);
    ck_assert_uint_eq(cqt_widget_on_clicked(NULL, on_clicked, &c, on_destroy), 0);
    ck_assert_uint_eq(cqt_widget_on_toggled(NULL, on_toggled, &c, on_destroy), 0);
    ck_assert_uint_eq(cqt_widget_on_value_changed(NULL, on_value, &c, on_destroy), 0);
    ck_assert_int_eq(cqt_widget_disconnect(NULL, 1), CQT_EINVAL);
    ck_assert_int_eq(cqt_test_counter_get(&c.destroys), 5);

    /* a pointer that is not a live handle is refused without being read */
    cqt_widget *bogus = (cqt_widget *)(void *)buf;
    ck_assert_int_eq(cqt_widget_set_text(bogus, "x"), CQT_EINVAL);

    /* wrong kinds, bad numbers */
    cqt_widget *win = cqt_window_new(NULL);
    cqt_widget *label = cqt_label_new(win, "l");
    cqt_widget *spin = cqt_spin_box_new(win, 0, 10, 5);
    cqt_widget *dspin = cqt_double_spin_box_new(win, 0, 1, 0, 2);
    cqt_widget *box = cqt_box_new(win, CQT_HORIZONTAL);
    cqt_widget *grid = cqt_grid_new(win, 2);
    ck_assert_ptr_null(cqt_label_new(label, "not a container"));
    ck_assert_ptr_null(cqt_box_new(win, (cqt_orientation)7));
    ck_assert_ptr_null(cqt_grid_new(win, 0));
    ck_assert_ptr_null(cqt_spin_box_new(win, 5, 1, 3));
    ck_assert_ptr_null(cqt_spin_box_new(win, 0, 1, 3));
    ck_assert_ptr_null(cqt_double_spin_box_new(win, 0, 1, NAN, 2));
    ck_assert_ptr_null(cqt_double_spin_box_new(win, 0, 1, 0, 11));
    ck_assert_ptr_null(cqt_slider_new(win, CQT_HORIZONTAL, 2, 1, 1));
    ck_assert_ptr_null(cqt_progress_bar_new(win, 2, 1));
    ck_assert_ptr_null(cqt_log_view_new(win, -1));
    ck_assert_int_eq(cqt_window_resize(win, 0, 10), CQT_EINVAL);
    ck_assert_int_eq(cqt_window_show(label), CQT_EINVAL);
    ck_assert_ptr_null(cqt_window_status_bar(label));
    ck_assert_int_eq(cqt_window_send_keys(win, NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_box_add_stretch(label, 1), CQT_EINVAL);
    ck_assert_int_eq(cqt_box_add_stretch(box, -1), CQT_EINVAL);
    ck_assert_int_eq(cqt_grid_set_column_stretch(box, 0, 1), CQT_EINVAL);
    ck_assert_int_eq(cqt_grid_set_column_stretch(grid, 2, 1), CQT_EINVAL);
    ck_assert_int_eq(cqt_grid_place(label, 0, 0, 1, 1), CQT_EINVAL); /* not in a grid */
    ck_assert_int_eq(cqt_log_view_append(label, "x"), CQT_EINVAL);
    ck_assert_int_eq(cqt_status_bar_show_message(label, "x", 0), CQT_EINVAL);
    ck_assert_int_eq(cqt_status_bar_show_message(cqt_window_status_bar(win), "x", -1),
                     CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_set_text(spin, "x"), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_get_text(box, buf, sizeof buf), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_get_text(label, NULL, 4), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_set_value(label, 1), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_set_value(spin, NAN), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_set_value(dspin, INFINITY), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_get_value(spin, NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_get_value(label, &v), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_set_range(spin, 2, 1), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_set_range(spin, 0, 1e12), CQT_ERANGE);
    ck_assert_int_eq(cqt_widget_set_range(dspin, NAN, 1), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_set_range(label, 0, 1), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_get_range(label, &v, &v), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_set_checked(label, true), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_get_checked(label, &b), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_get_enabled(label, NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_set_suffix(label, "s"), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_set_alignment(box, CQT_ALIGN_LEFT), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_set_alignment(label, (cqt_align)9), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_set_minimum_width(label, -1), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_click(label), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_grab(win, NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_grab(win, "/tmp/cqt-test-shot.notanimage"), CQT_EINVAL);
    ck_assert_int_eq(cqt_widget_grab(win, "/nonexistent-dir/shot.png"), CQT_EINVAL);
    ck_assert_int_eq(cqt_window_is_visible(win, NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_log_view_line_count(label, &n), CQT_EINVAL);
    ck_assert_int_eq(cqt_window_free(label), CQT_EINVAL);
    ck_assert_int_eq(cqt_window_free(win), CQT_OK);
}
END_TEST

START_TEST(test_widgets_need_gui_app)
{
    /* no application at all */
    ck_assert_ptr_null(cqt_window_new("x"));
    ck_assert_int_eq(cqt_widget_set_text(NULL, "x"), CQT_ESTATE);
    /* a core application has no widgets */
    ck_assert_int_eq(cqt_app_init(&gui_argc, gui_argv, CQT_APP_CORE), CQT_OK);
    ck_assert_ptr_null(cqt_window_new("x"));
    ck_assert_msg(strstr(cqt_last_error(), "CQT_APP_GUI") != NULL, "%s", cqt_last_error());
    ck_assert_int_eq(cqt_widget_get_kind(NULL), CQT_ESTATE);
    ck_assert_int_eq(cqt_app_shutdown(CQT_TEST_TIMEOUT_MS), CQT_OK);
}
END_TEST

/* ---- screenshots --------------------------------------------------------------- */

static unsigned be32(const unsigned char *p)
{
    return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

START_TEST(test_widgets_grab_writes_png_of_window_size)
{
    cqt_widget *win = cqt_window_new("grab");
    cqt_label_new(win, "some text to render");
    cqt_progress_bar_new(win, 0, 10);
    ck_assert_int_eq(cqt_window_resize(win, 320, 200), CQT_OK);
    ck_assert_int_eq(cqt_window_show(win), CQT_OK);
    cqt_app_process_events(0);
    char path[] = "/tmp/cqt-grab-XXXXXX.png";
    int fd = mkstemps(path, 4);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_msg(cqt_widget_grab(win, path) == CQT_OK, "%s", cqt_last_error());
    int w, h;
    ck_assert_int_eq(cqt_widget_get_size(win, &w, &h), CQT_OK);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    unsigned char head[24];
    ck_assert_uint_eq(fread(head, 1, sizeof head, f), sizeof head);
    fclose(f);
    unlink(path);
    ck_assert_mem_eq(head, "\x89PNG\r\n\x1a\n", 8);
    ck_assert_mem_eq(head + 12, "IHDR", 4);
    ck_assert_uint_eq(be32(head + 16), (unsigned)w);
    ck_assert_uint_eq(be32(head + 20), (unsigned)h);
    ck_assert_int_eq(cqt_window_free(win), CQT_OK);
}
END_TEST

/* ---- the demo-only raw P1 axis ------------------------------------------------- */

static void *naive_start_elsewhere(void *arg)
{
    cqt_demo_naive_axis_move_to(arg, 100.0);
    return NULL;
}

START_TEST(test_demo_naive_axis_reproduces_p1)
{
    ck_assert_ptr_null(cqt_demo_naive_axis_new("n", NAN, 1, 1));
    ck_assert_ptr_null(cqt_demo_naive_axis_new("n", 0, 0, 1));
    ck_assert_ptr_null(cqt_demo_naive_axis_new("n", 0, 1, -1));
    ck_assert_int_eq(cqt_demo_naive_axis_move_to(NULL, 1), CQT_EINVAL);
    ck_assert(isnan(cqt_demo_naive_axis_position(NULL)));
    ck_assert(!cqt_demo_naive_axis_has_arrived(NULL));
    cqt_demo_naive_axis_free(NULL);

    cqt_demo_naive_axis *a = cqt_demo_naive_axis_new("p1", 0, 1000, 100);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(cqt_demo_naive_axis_move_to(a, NAN), CQT_EINVAL);
    cqt_test_capture_start();
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, naive_start_elsewhere, a), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    /* Qt's own warning, and a timer that never fires */
    ck_assert_msg(cqt_test_captured_contains("Timers cannot be started from another thread"),
                  "captured: %s", cqt_test_captured());
    cqt_app_process_events(200);
    ck_assert(!cqt_demo_naive_axis_has_arrived(a));
    ck_assert_double_eq(cqt_demo_naive_axis_position(a), 0.0);
    cqt_test_capture_stop();
    cqt_demo_naive_axis_free(a);
}
END_TEST

CQT_TEST_SUITE(widgets_suite)
{
    Suite *s = suite_create("widgets");
    TCase *tc = gui_case("build");
    tcase_add_test(tc, test_widgets_build_every_kind);
    tcase_add_test(tc, test_widgets_log_view_caps_lines);
    tcase_add_test(tc, test_widgets_grab_writes_png_of_window_size);
    suite_add_tcase(s, tc);
    tc = gui_case("callbacks");
    tcase_add_test(tc, test_widgets_callbacks_run_in_gui_thread);
    tcase_add_test(tc, test_widgets_shortcuts_and_send_keys);
    tcase_add_test(tc, test_widgets_close_handler);
    suite_add_tcase(s, tc);
    tc = gui_case("destroy");
    tcase_add_test(tc, test_widgets_destroy_once_on_disconnect_and_failure);
    tcase_add_test(tc, test_widgets_destroy_once_on_window_free);
    tcase_add_test(tc, test_widgets_disconnect_inside_own_callback);
    tcase_add_test(tc, test_widgets_free_window_inside_callback);
    suite_add_tcase(s, tc);
    tc = tcase_create("lifetime");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_widgets_destroy_once_at_shutdown);
    tcase_add_test(tc, test_widgets_need_gui_app);
    suite_add_tcase(s, tc);
    tc = gui_case("threads");
    tcase_add_test(tc, test_widgets_wrong_thread_changes_nothing);
    tcase_add_test(tc, test_demo_naive_axis_reproduces_p1);
    suite_add_tcase(s, tc);
    tc = gui_case("badinput");
    tcase_add_test(tc, test_widgets_bad_input);
    suite_add_tcase(s, tc);
    return s;
}
