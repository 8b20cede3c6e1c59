/* A policy as a process, in plain C: reads observations from standard input (whitespace-separated
 * floats, POLICY_OBSERVATION_SIZE per observation) and writes each action as one line, until the input
 * ends. It includes the header `sac export --format c --name policy` writes; build it with
 *
 *   cc -std=c99 -Wall -Wextra -Werror -pedantic -O2 -I DIR_WITH_POLICY_H act.c -o act -lm
 *
 * A robot's controller or a C++ simulator calls policy_act() directly; this program lets a Python script
 * (evaluate_in_gymnasium.py) drive it through a pipe. */
#include <stdio.h>

#include "policy.h"

int main(void) {
    float observation[POLICY_OBSERVATION_SIZE], action[POLICY_ACTION_SIZE];
    for (;;) {
        int i;
        for (i = 0; i < POLICY_OBSERVATION_SIZE; ++i) {
            if (scanf("%f", &observation[i]) != 1) return i == 0 ? 0 : 1; /* end of input, or a partial observation */
        }
        policy_act(observation, action);
        for (i = 0; i < POLICY_ACTION_SIZE; ++i) printf(i + 1 < POLICY_ACTION_SIZE ? "%.9g " : "%.9g\n", (double)action[i]);
        fflush(stdout);
    }
}
