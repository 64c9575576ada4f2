/* Step arguments of the C scenario runner: strict keys, typed reads of `args`, the scenario
 * executor (`fail_on`) and the recording of a call's outcome. */
#include "scenario.h"

#define SIMULATED_FAILURE "simulated failure"

int only_keys(Run *run, json_t *obj, const char *const *allowed, const char *what) {
  const char *key;
  json_t *value;
  json_object_foreach(obj, key, value) {
    bool ok = false;
    for (const char *const *a = allowed; *a != NULL; a++) ok = ok || strcmp(*a, key) == 0;
    if (!ok) return fail(run, "unknown key `%s` in %s", key, what);
  }
  return 0;
}

const char *project_of(Args *a) {
  json_t *p = json_object_get(a->map, "project");
  return json_is_string(p) ? json_string_value(p) : a->run->project;
}

int str_arg(Args *a, const char *key, bool required, const char **out) {
  json_t *v = json_object_get(a->map, key);
  *out = NULL;
  if (v == NULL || (json_is_null(v) && !required)) return required ? fail(a->run, "missing argument `%s`", key) : 0;
  if (!json_is_string(v)) return fail(a->run, "`%s`: expected a string", key);
  *out = json_string_value(v);
  return 0;
}

/* A struct argument as JSON text; NULL when optional and missing. */
int json_arg(Args *a, const char *key, bool required, const char **out) {
  json_t *v = json_object_get(a->map, key);
  *out = NULL;
  if (v == NULL || (json_is_null(v) && !required)) return required ? fail(a->run, "missing argument `%s`", key) : 0;
  CHECK(a->ndumps < 8);
  *out = a->dumps[a->ndumps++] = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  return 0;
}

int int_arg(Args *a, const char *key, bool required, json_int_t lo, json_int_t hi, json_int_t *out, bool *given) {
  json_t *v = json_object_get(a->map, key);
  *given = false;
  if (v == NULL || (json_is_null(v) && !required)) return required ? fail(a->run, "missing argument `%s`", key) : 0;
  if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) return fail(a->run, "`%s`: bad integer", key);
  *out = json_integer_value(v);
  *given = true;
  return 0;
}

/* The scenario executor: fails the activation (not the revert) of entities listed in `fail_on`. */
int32_t scenario_executor(void *user_data, const DgActivation *act, char *message, size_t capacity) {
  json_t *fail_on = user_data;
  size_t i;
  json_t *f;
  json_array_foreach(fail_on, i, f) {
    if (!act->revert && strcmp(jstr(f, "entity_type"), act->entity_type) == 0 && strcmp(jstr(f, "entity_id"), act->entity_id) == 0) {
      snprintf(message, capacity, "%s", SIMULATED_FAILURE);
      return 1;
    }
  }
  return 0;
}

int fail_on_arg(Args *a, json_t **out) {
  json_t *v = json_object_get(a->map, "fail_on");
  *out = json_array();
  if (v == NULL || json_is_null(v)) return 0;
  if (!json_is_array(v)) return fail(a->run, "`fail_on` must be an array");
  size_t i;
  json_t *f;
  json_array_foreach(v, i, f) {
    if (!json_is_object(f) || only_keys(a->run, f, KEYS("entity_type", "entity_id"), "fail_on") != 0 || jstr(f, "entity_type") == NULL ||
        jstr(f, "entity_id") == NULL) {
      return fail(a->run, "`fail_on.%zu` must be {entity_type, entity_id}", i);
    }
  }
  json_decref(*out);
  *out = json_incref(v);
  return 0;
}

/* Records a call's outcome. `out` is read only here, after the call (argument evaluation order
 * is unspecified in C). */
void settle(Outcome *o, int32_t status, char **out) {
  o->status = status;
  if (status == DG_OK) {
    o->result = *out != NULL ? take_json(*out) : json_null();
  } else {
    o->message = dg_last_error_message();
    o->findings = dg_last_error_findings();
  }
}
