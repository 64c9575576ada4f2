/* The newer ops of the C scenario runner, as in core/tests/scenarios.rs: freeze windows,
 * two-phase execution (begin, log, deployment_logs, heartbeat, complete), guided failure
 * (resume), health checks (report_health, health_checks) and the governed records (variables,
 * artifacts, deployment errors, compliance report, environment metrics). */
#include "scenario.h"

/* Ops whose engine method takes no actor (besides those of scenarios.c). */
const char *const NO_ACTOR_OPERATIONS[] = {"compare_variables", "list_artifacts",  "prunable_artifacts", "list_deployment_errors",
                                           "compliance_report", "environment_metrics", "list_freezes",     "active_freezes",
                                           "log",               "deployment_logs",     "health_checks",    NULL};

/* Freeze windows. */
static int freezes(Run *run, const char *op, const char *actor, Args *a, Outcome *o) {
  DgEngine *e = run->engine;
  const char *p = project_of(a), *s1 = NULL, *s2 = NULL, *j1 = NULL;
  char *out = NULL;
  if (is(op, "add_freeze")) {
    ALLOW("project", "spec");
    NEED(json_arg(a, "spec", true, &j1));
    settle(o, dg_freeze_add(e, p, j1, actor, &out), &out);
  } else if (is(op, "remove_freeze")) {
    ALLOW("project", "freeze_id", "reason");
    NEED(str_arg(a, "freeze_id", true, &s1) || str_arg(a, "reason", true, &s2));
    settle(o, dg_freeze_remove(e, p, s1, actor, s2, &out), &out);
  } else if (is(op, "list_freezes")) {
    ALLOW("project", "environment");
    NEED(str_arg(a, "environment", false, &s1));
    settle(o, dg_freeze_list(e, p, s1, &out), &out);
  } else if (is(op, "active_freezes")) {
    ALLOW("project", "environment", "at");
    NEED(str_arg(a, "environment", true, &s1) || str_arg(a, "at", true, &s2));
    settle(o, dg_freezes_active(e, p, s1, s2, &out), &out);
  } else {
    return 1;
  }
  return 0;
}

/* Two-phase execution, guided failure and health checks. */
static int executions(Run *run, const char *op, const char *actor, Args *a, Outcome *o) {
  DgEngine *e = run->engine;
  const char *p = project_of(a), *id = NULL, *s1 = NULL, *s2 = NULL, *j1 = NULL;
  char *out = NULL;
  json_int_t n1 = 0, n2 = 0;
  bool g1 = false, g2 = false;
  if (is(op, "begin")) {
    ALLOW("project", "deployment_id", "options");
    NEED(str_arg(a, "deployment_id", true, &id) || json_arg(a, "options", false, &j1));
    settle(o, dg_deployment_begin(e, p, id, actor, j1, &out), &out);
  } else if (is(op, "log")) {
    ALLOW("project", "deployment_id", "stage", "line");
    NEED(str_arg(a, "deployment_id", true, &id) || str_arg(a, "stage", true, &s1) || str_arg(a, "line", true, &s2));
    int64_t seq = -1;
    o->status = dg_deployment_log(e, p, id, s1, s2, &seq);
    if (o->status == DG_OK) {
      o->result = json_integer((json_int_t)seq);
    } else {
      o->message = dg_last_error_message();
      o->findings = dg_last_error_findings();
    }
  } else if (is(op, "deployment_logs")) {
    ALLOW("project", "deployment_id", "after_seq", "limit");
    NEED(str_arg(a, "deployment_id", true, &id) || int_arg(a, "after_seq", false, INT64_MIN, INT64_MAX, &n1, &g1) ||
         int_arg(a, "limit", false, 0, UINT32_MAX, &n2, &g2));
    uint32_t limit = (uint32_t)n2;
    settle(o, dg_deployment_logs(e, p, id, g1 ? (int64_t)n1 : 0, g2 ? &limit : NULL, &out), &out);
  } else if (is(op, "heartbeat")) {
    ALLOW("project", "deployment_id");
    NEED(str_arg(a, "deployment_id", true, &id));
    settle(o, dg_deployment_heartbeat(e, p, id, actor, &out), &out);
  } else if (is(op, "complete")) {
    ALLOW("project", "deployment_id", "completion");
    NEED(str_arg(a, "deployment_id", true, &id) || json_arg(a, "completion", true, &j1));
    settle(o, dg_deployment_complete(e, p, id, actor, j1, &out), &out);
  } else if (is(op, "resume") || is(op, "report_health")) {
    json_t *fail_on = NULL;
    if (is(op, "resume")) {
      ALLOW("project", "deployment_id", "decision", "reason", "fail_on");
      NEED(str_arg(a, "deployment_id", true, &id) || str_arg(a, "decision", true, &s1) || str_arg(a, "reason", false, &s2));
    } else {
      ALLOW("project", "deployment_id", "report", "fail_on");
      NEED(str_arg(a, "deployment_id", true, &id) || json_arg(a, "report", true, &j1));
    }
    if (fail_on_arg(a, &fail_on) != 0) return json_decref(fail_on), -1;
    if (is(op, "resume")) {
      settle(o, dg_deployment_resume(e, p, id, actor, s1, s2, scenario_executor, fail_on, &out), &out);
    } else {
      settle(o, dg_deployment_health_report(e, p, id, actor, j1, scenario_executor, fail_on, &out), &out);
    }
    json_decref(fail_on);
  } else if (is(op, "health_checks")) {
    ALLOW("project", "deployment_id");
    NEED(str_arg(a, "deployment_id", true, &id));
    settle(o, dg_deployment_health_checks(e, p, id, &out), &out);
  } else {
    return 1;
  }
  return 0;
}

/* Environment variables, artifacts, deployment errors and reports. */
static int records(Run *run, const char *op, const char *actor, Args *a, Outcome *o) {
  DgEngine *e = run->engine;
  const char *p = project_of(a), *s1 = NULL, *s2 = NULL, *s3 = NULL, *j1 = NULL;
  char *out = NULL;
  if (is(op, "unset_variables")) {
    ALLOW("project", "environment", "keys");
    NEED(str_arg(a, "environment", true, &s1) || json_arg(a, "keys", true, &j1));
    settle(o, dg_variables_unset(e, p, s1, j1, actor, &out), &out);
  } else if (is(op, "compare_variables")) {
    ALLOW("project", "left", "right");
    NEED(str_arg(a, "left", true, &s1) || str_arg(a, "right", true, &s2));
    settle(o, dg_variables_compare(e, p, s1, s2, &out), &out);
  } else if (is(op, "attach_artifact")) {
    ALLOW("project", "spec");
    NEED(json_arg(a, "spec", true, &j1));
    settle(o, dg_artifact_attach(e, p, j1, actor, &out), &out);
  } else if (is(op, "list_artifacts")) {
    ALLOW("project", "entity_type", "entity_id", "version_tag");
    NEED(str_arg(a, "entity_type", true, &s1) || str_arg(a, "entity_id", true, &s2) || str_arg(a, "version_tag", false, &s3));
    settle(o, dg_artifact_list(e, p, s1, s2, s3, &out), &out);
  } else if (is(op, "prunable_artifacts")) {
    ALLOW("project");
    settle(o, dg_artifacts_prunable(e, p, &out), &out);
  } else if (is(op, "prune_artifacts")) {
    ALLOW("project", "ids", "reason");
    NEED(json_arg(a, "ids", true, &j1) || str_arg(a, "reason", true, &s1));
    settle(o, dg_artifacts_prune(e, p, j1, actor, s1, &out), &out);
  } else if (is(op, "record_deployment_error")) {
    ALLOW("project", "spec");
    NEED(json_arg(a, "spec", true, &j1));
    settle(o, dg_deployment_error_record(e, p, j1, actor, &out), &out);
  } else if (is(op, "resolve_deployment_error")) {
    ALLOW("project", "error_id", "notes");
    NEED(str_arg(a, "error_id", true, &s1) || str_arg(a, "notes", true, &s2));
    settle(o, dg_deployment_error_resolve(e, p, s1, actor, s2, &out), &out);
  } else if (is(op, "list_deployment_errors")) {
    ALLOW("project", "filter");
    NEED(json_arg(a, "filter", false, &j1));
    settle(o, dg_deployment_error_list(e, p, j1, &out), &out);
  } else if (is(op, "compliance_report")) {
    ALLOW("project", "from", "to", "environment");
    NEED(str_arg(a, "from", true, &s1) || str_arg(a, "to", true, &s2) || str_arg(a, "environment", false, &s3));
    settle(o, dg_compliance_report(e, p, s1, s2, s3, &out), &out);
  } else if (is(op, "environment_metrics")) {
    ALLOW("project", "environment", "from", "to");
    NEED(str_arg(a, "environment", true, &s1) || str_arg(a, "from", true, &s2) || str_arg(a, "to", true, &s3));
    settle(o, dg_environment_metrics(e, p, s1, s2, s3, &out), &out);
  } else {
    return 1;
  }
  return 0;
}

int call_operations(Run *run, const char *op, const char *actor, Args *a, Outcome *o) {
  int rc = freezes(run, op, actor, a, o);
  if (rc == 1) rc = executions(run, op, actor, a, o);
  if (rc == 1) rc = records(run, op, actor, a, o);
  return rc;
}
