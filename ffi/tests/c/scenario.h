/* Shared declarations of the C scenario runner (scenarios.c runs the files and the original ops,
 * scenario_ops.c the newer ops, scenario_args.c reads step arguments, scenario_expect.c checks the
 * expectations). */
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

/* The arguments of one step. */
typedef struct {
  Run *run;
  json_t *map;
  const char *op;
  char *dumps[8]; /* JSON texts handed to the library, freed after the call */
  int ndumps;
} Args;

#define KEYS(...) ((const char *const[]){__VA_ARGS__, NULL})
/* Inside an op: refuses `args` keys other than those listed. */
#define ALLOW(...) NEED(only_keys(run, a->map, KEYS(__VA_ARGS__), "args"))

static inline bool is(const char *op, const char *name) { return strcmp(op, name) == 0; }

/* scenario_args.c */
int only_keys(Run *run, json_t *obj, const char *const *allowed, const char *what);
const char *project_of(Args *a);
int str_arg(Args *a, const char *key, bool required, const char **out);
int json_arg(Args *a, const char *key, bool required, const char **out);
int int_arg(Args *a, const char *key, bool required, json_int_t lo, json_int_t hi, json_int_t *out, bool *given);
int32_t scenario_executor(void *user_data, const DgActivation *act, char *message, size_t capacity);
int fail_on_arg(Args *a, json_t **out);
void settle(Outcome *o, int32_t status, char **out);

/* scenario_ops.c: freeze windows, two-phase execution, guided failure, health checks and the
 * governed records. 1 when `op` is none of them. */
int call_operations(Run *run, const char *op, const char *actor, Args *a, Outcome *o);
extern const char *const NO_ACTOR_OPERATIONS[];

/* scenario_expect.c */
int check_outcome(Run *run, json_t *expect, Outcome *o);
int check_active(Run *run, const char *project, json_t *want);

#endif
