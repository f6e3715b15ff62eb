/* SPDX-License-Identifier: MIT */
/* stage_over_tcp.c — three axes of a motor controller, reached over TCP,
 * moved in parallel as one stage.
 *
 * It starts the controller simulator (cqt-axis-sim) as a child process on
 * a free TCP port on 127.0.0.1, opens one cqt_axis_link to it, creates the
 * axes x, y and z on that link (they share the connection and live in the
 * link's thread), moves them together and prints the stage's report.
 * With a real controller, skip the child and open its address instead,
 * e.g. "tcp:192.168.1.20:5000" or "serial:/dev/ttyUSB0,115200".
 *
 * The simulator is found through $CQT_AXIS_SIM, else next to this program
 * or in ../tools/cqt-axis-sim/ (a build tree), else on $PATH.
 *
 *     ./stage_over_tcp            moves x, y, z to 12.5, -7, 30
 */
#include <cqt/cqt.h>

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Where cqt-axis-sim is: see the top of this file. */
static const char *find_simulator(const char *argv0, char *buf, size_t size)
{
    const char *env = getenv("CQT_AXIS_SIM");
    if (env && *env)
        return env;
    const char *slash = strrchr(argv0, '/');
    int dir = slash ? (int)(slash - argv0) : 1;
    const char *base = slash ? argv0 : ".";
    const char *tries[] = {"%.*s/cqt-axis-sim", "%.*s/../tools/cqt-axis-sim/cqt-axis-sim"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(buf, size, tries[i], dir, base);
        if (access(buf, X_OK) == 0)
            return buf;
    }
    return "cqt-axis-sim"; /* posix_spawnp looks it up on $PATH */
}

/* Starts the simulator on TCP port 0 and reads the port it printed. */
static int start_simulator(const char *exe, pid_t *pid)
{
    int out[2];
    if (pipe(out) != 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    /* Its log of every command (stderr) goes to ours: watch the traffic. */
    char *argv[] = {(char *)exe, "--tcp", "0", "--axes", "x,y,z", "--speed", "40", NULL};
    int rc = posix_spawnp(pid, exe, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    if (rc != 0) {
        fprintf(stderr, "stage_over_tcp: cannot start %s: %s (set CQT_AXIS_SIM)\n", exe, strerror(rc));
        close(out[0]);
        return -1;
    }
    char line[32] = "";
    size_t n = 0;
    while (n + 1 < sizeof line) {
        ssize_t k = read(out[0], line + n, 1);
        if (k <= 0 || line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    close(out[0]);
    return atoi(line) > 0 ? atoi(line) : -1;
}

static void stop_simulator(pid_t pid)
{
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
    char buf[4096];
    pid_t sim;
    int port = start_simulator(find_simulator(argv[0], buf, sizeof buf), &sim);
    if (port < 0)
        return 1;
    if (cqt_app_init(&argc, argv, CQT_APP_CORE) != CQT_OK) {
        stop_simulator(sim);
        return 1;
    }

    char address[64];
    snprintf(address, sizeof address, "tcp:127.0.0.1:%d", port);
    cqt_axis_link_config lc;
    cqt_axis_link_config_init(&lc);
    lc.address = address;
    cqt_axis_link *link = cqt_axis_link_new(&lc);
    if (!link) {
        fprintf(stderr, "stage_over_tcp: %s\n", cqt_last_error());
        stop_simulator(sim);
        cqt_app_shutdown(1000);
        return 1;
    }
    printf("connected to %s: %d axes\n", cqt_axis_link_address(link), cqt_axis_link_axis_count(link));

    /* One cqt_axis per controller axis, all on the same link. */
    const char *names[3] = {"x", "y", "z"};
    cqt_axis *axes[3] = {NULL, NULL, NULL};
    int status = 0;
    for (int i = 0; i < 3; i++) {
        cqt_axis_config ac;
        cqt_axis_config_init(&ac);
        ac.name = names[i]; /* also the controller's axis name */
        ac.link = link;
        ac.min_position = -100; /* soft limits, checked before sending */
        ac.max_position = 100;
        axes[i] = cqt_axis_new(&ac);
        if (!axes[i]) {
            fprintf(stderr, "stage_over_tcp: %s\n", cqt_last_error());
            status = 1;
        }
    }
    if (status == 0) {
        cqt_stage *stage = cqt_stage_new(axes, 3);
        const double targets[3] = {12.5, -7, 30};
        cqt_stage_report rep;
        int rc = cqt_stage_move_to(stage, targets, CQT_STAGE_PARALLEL, 10000, &rep);
        printf("parallel move: %s\n", rc == CQT_OK ? "all axes arrived" : rep.message);
        for (size_t i = 0; i < rep.n; i++)
            printf("  %s: %-8s at %8.3f after %4lld ms\n", names[i], cqt_stage_outcome_name(rep.axes[i].outcome),
                   rep.axes[i].position,
                   rep.axes[i].arrival_ns ? (long long)((rep.axes[i].arrival_ns - rep.start_ns) / 1000000) : -1LL);
        status = rc == CQT_OK ? 0 : 1;
        cqt_stage_free(stage);
    }
    for (int i = 0; i < 3; i++)
        cqt_axis_free(axes[i]);
    cqt_axis_link_free(link); /* the connection closes with its last axis */
    stop_simulator(sim);
    cqt_app_shutdown(5000);
    return status;
}
