/* SPDX-License-Identifier: MIT */
/* xyz_stage.c — three axes moved sequentially, in parallel, then with a
 * stalled axis; each move's report is printed.
 *
 *   cc xyz_stage.c $(pkg-config --cflags --libs cqt) && ./a.out
 */
#include <stdio.h>

#include <cqt/cqt.h>
#include <cqt/axis.h>
#include <cqt/stage.h>

static void print_report(const char *title, int rc, const cqt_stage_report *rep)
{
    printf("%s: %s in %.0f ms\n", title, cqt_status_name(rc), (double)(rep->end_ns - rep->start_ns) / 1e6);
    for (size_t i = 0; i < rep->n; i++) {
        const cqt_stage_axis_report *a = &rep->axes[i];
        printf("  %s  %-11s at %8.3f (target %8.3f)", a->name, cqt_stage_outcome_name(a->outcome),
               a->position, a->target);
        if (a->arrival_ns)
            printf("  arrived after %.0f ms", (double)(a->arrival_ns - rep->start_ns) / 1e6);
        printf("\n");
    }
    if (rc != CQT_OK)
        printf("  error: %s\n", cqt_last_error());
}

int main(int argc, char **argv)
{
    if (cqt_app_init(&argc, argv, CQT_APP_CORE) != CQT_OK) {
        fprintf(stderr, "%s\n", cqt_last_error());
        return 1;
    }
    /* Each axis runs in a thread of its own; simulated time goes 20x. */
    static const char *const names[] = {"x", "y", "z"};
    cqt_axis_config axis;
    cqt_axis_config_init(&axis);
    axis.speed = 100;         /* units/s */
    axis.acceleration = 400;  /* units/s^2 */
    axis.min_position = 0;
    axis.max_position = 800;
    axis.time_scale = 20;
    cqt_stage_config config = {"xyz", names, 3, &axis, NULL};
    cqt_stage *stage = cqt_stage_new_from_config(&config);
    if (!stage) {
        fprintf(stderr, "%s\n", cqt_last_error());
        cqt_app_shutdown(5000);
        return 1;
    }

    cqt_stage_report rep;
    const double first[] = {100, 650, 20};
    int rc = cqt_stage_move_to(stage, first, CQT_STAGE_SEQUENTIAL, 10000, &rep);
    print_report("sequential", rc, &rep);

    const double home[] = {0, 0, 0};
    rc = cqt_stage_move_to(stage, home, CQT_STAGE_PARALLEL, 10000, &rep);
    print_report("parallel", rc, &rep);

    /* y stalls half way: only the timeout reveals it, and names it. */
    cqt_axis_inject_fault(cqt_stage_axis_by_name(stage, "y"), CQT_AXIS_FAULT_STALL);
    rc = cqt_stage_move_to(stage, first, CQT_STAGE_PARALLEL, 1000, &rep);
    print_report("parallel, y stalled", rc, &rep);

    cqt_stage_free(stage);
    int done = cqt_app_shutdown(5000);
    return done == CQT_OK && rc == CQT_ETIMEDOUT ? 0 : 1;
}
