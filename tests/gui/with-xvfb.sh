#!/bin/bash
# SPDX-License-Identifier: MIT
# with-xvfb.sh CMD... — runs CMD under a private Xvfb. xvfb-run -a probes
# display numbers from :99 up, so two runs starting together (other test
# runs on the same machine) can race for one; start the probe at a random
# number instead.
exec xvfb-run -a -n $((100 + RANDOM % 800)) -s "-screen 0 1280x1024x24" "$@"
