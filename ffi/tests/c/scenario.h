/* Shared declarations of the C scenario runner (scenarios.c runs the files and the ops,
 * scenario_expect.c checks the expectations). */
#ifndef DG_SCENARIO_H
#define DG_SCENARIO_H

#include <stdarg.h>
#include <stdbool.h>

#include "check.h"

/* One scenario's engine, manual clock, default project and saved ids. */
typedef struct {
  DgEngine *engine;
  int64_t now; /* microseconds since the epoch: the manual clock */
  char project[512];
  json_t *saved; /* name -> id */
  char error[4096];
} Run;

/* The outcome of one step. */
typedef struct {
  int32_t status;
  json_t *result; /* on success */
  char *message;  /* on failure */
  char *findings; /* after validation_failed */
} Outcome;

/* Returns -1 from the enclosing function when a check fails. */
#define NEED(x) \
  if ((x) != 0) return -1

/* Records a runner error (the first one wins) and returns -1. */
static inline int fail(Run *run, const char *fmt, ...) {
  if (run->error[0] == '\0') {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(run->error, sizeof run->error, fmt, ap);
    va_end(ap);
  }
  return -1;
}

/* Compact JSON of `v`, cut at 400 characters (free with free()). */
static inline char *brief(const json_t *v) {
  char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  CHECK(s != NULL);
  if (strlen(s) > 400) strcpy(s + 400, "...");
  return s;
}

int check_outcome(Run *run, json_t *expect, Outcome *o);
int check_active(Run *run, const char *project, json_t *want);

#endif
