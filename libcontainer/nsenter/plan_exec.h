/* The plan executor (plan_exec.c). */
#ifndef RT_PLAN_EXEC_H
#define RT_PLAN_EXEC_H

#include "plan.h"

/* rt_plan_run carries out p in this process and execs the workload; it
 * never returns (a failure is reported to the parent on sock). logfd is
 * the init's log pipe (-1: none), debug whether debug lines are wanted. */
void rt_plan_run(int sock, int logfd, int debug, const struct rt_plan *p) __attribute__((noreturn));

/* rt_plan_runnable says whether the executor carries out op. */
int rt_plan_runnable(unsigned op);

#endif
