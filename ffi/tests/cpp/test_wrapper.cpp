// The C++17 RAII wrapper: handles freed by destructors, errors as exceptions carrying the code and
// findings, executors, validators and subscribers as std::function, the event outbox.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "deploygov.hpp"

namespace dg = deploygov;

#define CHECK(cond)                                                                    \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
      std::exit(1);                                                                    \
    }                                                                                  \
  } while (0)

static bool has(const std::string &haystack, const std::string &needle) { return haystack.find(needle) != std::string::npos; }

// The first string member `key` of a JSON text (the tests' results start with the deployment id).
static std::string field(const std::string &json, const std::string &key) {
  std::string marker = "\"" + key + "\":\"";
  size_t at = json.find(marker);
  CHECK(at != std::string::npos);
  at += marker.size();
  return json.substr(at, json.find('"', at) - at);
}

// Runs `f`, which must throw dg::Error with `code`; returns the error.
template <class F>
static dg::Error expect_error(int32_t code, F &&f) {
  try {
    f();
  } catch (const dg::Error &e) {
    if (e.code() != code) {
      std::fprintf(stderr, "expected error %d, got %d (%s): %s\n", code, e.code(), e.name(), e.what());
      std::exit(1);
    }
    return e;
  }
  std::fprintf(stderr, "expected error %d, but the call succeeded\n", code);
  std::exit(1);
}

static const std::string alice = dg::actor("alice", {"admin"});
static const std::string bob = dg::actor("bob", {"admin"});
static const std::string carol = dg::actor("carol", {"tenant_admin"});
static const std::string dave = dg::actor("dave", {"developer"});

static std::string item(const std::string &type, const std::string &id, const std::string &tag) {
  return "{\"entity_type\":\"" + type + "\",\"entity_id\":\"" + id + "\",\"version_tag\":\"" + tag + "\"}";
}

static void setup(const dg::Engine &e) {
  e.create_project("japm", "acme", "JAPM", alice);
  e.create_environment("japm", R"({"name":"production","variables":[{"key":"API_KEY","value":"s3cret","secret":true}]})", alice);
  e.create_environment("japm", R"({"name":"development"})", alice);
  for (const char *tag : {"1.1.0", "1.2.0"}) e.register_version("japm", item("prompt_version", "chatbot", tag), alice);
  e.register_version("japm", item("prompt_asset_version", "templates", "2.0.0"), alice);
}

static std::string request(const dg::Engine &e, const std::string &env, const std::string &items, const std::string &who) {
  return field(e.request_deployment("japm", R"({"environment":")" + env + R"(","name":"n","items":[)" + items + "]}", who), "id");
}

static void test_workflow() {
  dg::Engine e;  // in memory; freed by the destructor
  setup(e);
  std::string id = request(e, "production", item("prompt_version", "chatbot", "1.1.0"), alice);

  dg::Error self = expect_error(DG_ERROR_SELF_APPROVAL, [&] { e.approve("japm", id, alice); });
  CHECK(std::string(self.name()) == "self_approval");
  CHECK(has(self.what(), "4-eyes"));
  CHECK(self.findings_json().empty());

  e.approve("japm", id, bob, R"({"comment":"ok"})");
  CHECK(has(e.check("japm", id, bob, "execute"), "\"allowed\":false"));
  CHECK(has(e.approve("japm", id, carol), "\"status\":\"approved\""));

  std::vector<dg::Activation> seen;
  std::string done = e.execute("japm", id, bob, [&](const dg::Activation &a) { seen.push_back(a); });
  CHECK(has(done, "\"status\":\"deployed\""));
  CHECK(seen.size() == 1 && seen[0].version_tag == std::optional<std::string>("1.1.0") && !seen[0].previous_version);
  CHECK(has(seen[0].environment_json, "s3cret"));

  auto live = e.active_version("japm", "production", "prompt_version", "chatbot");
  CHECK(live && live->version_tag == "1.1.0" && live->deployment_id == id);
  CHECK(!e.active_version("japm", "production", "prompt_version", "nothing"));

  // A second release, then a rollback through a recording executor.
  std::string second = request(e, "production", item("prompt_version", "chatbot", "1.2.0"), alice);
  e.approve("japm", second, bob);
  e.approve("japm", second, carol);
  e.execute("japm", second, carol);
  std::vector<std::string> restored;
  std::string rb = e.rollback("japm", second, alice, R"({"reason":"bad answers"})",
                              [&](const dg::Activation &a) { restored.push_back(a.version_tag.value_or("-")); });
  CHECK(has(rb, "\"kind\":\"rollback\"") && has(rb, "\"status\":\"deployed\""));
  CHECK(restored == std::vector<std::string>{"1.1.0"});
  CHECK(e.active_version("japm", "production", "prompt_version", "chatbot")->version_tag == "1.1.0");

  // Every query returns JSON.
  CHECK(has(e.get_project("japm"), "\"tenant\":\"acme\""));
  CHECK(has(e.get_environment("japm", "production"), "\"***\""));
  CHECK(has(e.list_environments("japm"), "development"));
  CHECK(has(e.list_versions("japm", "prompt_version", "chatbot"), "1.2.0"));
  CHECK(has(e.get_deployment("japm", second), "rolled_back"));
  CHECK(has(e.list_deployments("japm", R"({"status":"rolled_back"})"), second));
  CHECK(has(e.active_state("japm", "production"), "chatbot"));
  CHECK(has(e.entity_history("japm", "prompt_version", "chatbot", 10), "1.2.0"));
  expect_error(DG_ERROR_INVALID_INPUT, [&] { e.entity_history("japm", "prompt_version", "chatbot", 0); });
  CHECK(has(e.compare_environments("japm", "production", "development"), "\"right\":null"));
  CHECK(e.pending_approvals("japm", bob) == "[]");
  CHECK(has(e.audit_log("japm", second), "deployment.rolled_back"));
  CHECK(has(e.verify_audit(), "head_hash"));
  CHECK(has(e.set_health("japm", "development", "down", alice), "\"health\":\"down\""));
  CHECK(has(e.set_variables("japm", "development", R"([{"key":"A","value":"1"}])", alice), "\"A\""));
  CHECK(has(e.set_policy("japm", "development", "{}", alice), "\"four_eyes\":true"));

  // Promotion, leases, the sweep and point-in-time queries.
  expect_error(DG_ERROR_INVALID_TRANSITION, [&] { e.promote("japm", second, "development", alice); });  // rolled back
  expect_error(DG_ERROR_INVALID_INPUT, [&] { e.promote("japm", id, "production", alice); });           // already there
  std::string promoted = e.promote("japm", id, "development", alice);
  CHECK(has(promoted, "\"kind\":\"promotion\"") && has(promoted, "\"promoted_from\":\"" + id + "\"") &&
        has(promoted, "\"status\":\"approved\""));
  std::string promotion = field(promoted, "id");
  CHECK(has(e.execute("japm", promotion, dave), "\"status\":\"deployed\""));
  dg::Error running = expect_error(DG_ERROR_INVALID_TRANSITION, [&] { e.release_lease("japm", promotion, alice, "stuck"); });
  CHECK(has(running.what(), "`deployed`"));
  expect_error(DG_ERROR_FORBIDDEN, [&] { e.release_lease("japm", promotion, dave, "stuck"); });
  CHECK(e.sweep() == R"({"leases_expired":[],"approvals_expired":[],"schedules_expired":[]})");
  std::string then = e.active_state_at("japm", "development", "2999-01-01T00:00:00Z");
  CHECK(has(then, "\"deployment_id\":\"" + promotion + "\"") && has(then, "\"executed_by\":\"dave\""));
  CHECK(e.active_state_at("japm", "development", "2000-01-01T00:00:00+02:00") == "[]");
  CHECK(has(e.deployments_live_at("japm", "development", "2999-01-01T00:00:00Z"), promotion));
  dg::Error when = expect_error(DG_ERROR_INVALID_INPUT, [&] { e.deployments_live_at("japm", "development", "tomorrow"); });
  CHECK(has(when.what(), "RFC 3339"));
  expect_error(DG_ERROR_NOT_FOUND, [&] { e.active_state_at("japm", "nowhere", "2026-01-01T00:00:00Z"); });

  // Quarantine and schedules.
  e.register_version("japm", item("prompt_version", "chatbot", "2.0.0"), alice);
  auto quarantine = [&](const std::string &who, const std::string &tag, const std::string &reason) {
    return e.quarantine_version("japm", "prompt_version", "chatbot", tag, who, reason);
  };
  expect_error(DG_ERROR_FORBIDDEN, [&] { quarantine(dave, "2.0.0", "leaks pii"); });
  expect_error(DG_ERROR_INVALID_INPUT, [&] { quarantine(alice, "2.0.0", " "); });
  expect_error(DG_ERROR_NOT_FOUND, [&] { quarantine(alice, "9.9.9", "leaks pii"); });
  std::string q = quarantine(alice, "2.0.0", "leaks pii");
  CHECK(has(q, R"("quarantine":{"actor_id":"alice")") && has(q, R"("reason":"leaks pii")"));
  expect_error(DG_ERROR_CONFLICT, [&] { quarantine(bob, "2.0.0", "again"); });
  dg::Error quarantined =
      expect_error(DG_ERROR_VALIDATION_FAILED, [&] { request(e, "development", item("prompt_version", "chatbot", "2.0.0"), dave); });
  CHECK(has(quarantined.findings_json(), "version_quarantined"));
  expect_error(DG_ERROR_FORBIDDEN, [&] { e.release_version("japm", "prompt_version", "chatbot", "2.0.0", dave, "fixed"); });
  CHECK(has(e.release_version("japm", "prompt_version", "chatbot", "2.0.0", carol, "fixed"), R"("quarantine":null)"));
  expect_error(DG_ERROR_CONFLICT, [&] { e.release_version("japm", "prompt_version", "chatbot", "2.0.0", alice, "again"); });
  std::string night = field(e.request_deployment("japm",
                                                 R"({"environment":"development","name":"night","scheduled_for":"2999-01-01T00:00:00Z","items":[)" +
                                                     item("prompt_version", "chatbot", "2.0.0") + "]}",
                                                 dave),
                            "id");
  std::string now = request(e, "development", item("prompt_asset_version", "templates", "2.0.0"), dave);
  std::string due = e.due("japm");
  CHECK(has(due, now) && !has(due, night));
  dg::Error early = expect_error(DG_ERROR_VALIDATION_FAILED, [&] { e.execute("japm", night, dave); });
  CHECK(has(early.findings_json(), "not_yet_due"));
  CHECK(has(e.execute("japm", now, dave), R"("status":"deployed")"));
  CHECK(e.due("japm") == "[]");
  CHECK(has(e.cancel("japm", night, dave, "not tonight"), "cancelled"));
  expect_error(DG_ERROR_NOT_FOUND, [&] { e.due("nope"); });

  std::string third = request(e, "production", item("prompt_version", "chatbot", "1.2.0"), alice);
  CHECK(has(e.reject("japm", third, bob, "no"), "rejected"));
  std::string fourth = request(e, "production", item("prompt_version", "chatbot", "1.2.0"), alice);
  CHECK(has(e.cancel("japm", fourth, alice), "cancelled"));
  expect_error(DG_ERROR_INVALID_TRANSITION, [&] { e.cancel("japm", fourth, alice, "again"); });
}

static void test_errors_and_callbacks() {
  dg::Engine e(":memory:");
  setup(e);
  // Validation failure: the exception carries the findings.
  dg::Error v = expect_error(DG_ERROR_VALIDATION_FAILED, [&] { request(e, "development", item("prompt_version", "chatbot", "9.9.9"), dave); });
  CHECK(has(v.findings_json(), "unknown_version"));
  expect_error(DG_ERROR_INVALID_INPUT, [&] { e.set_health("japm", "development", "sick", alice); });
  expect_error(DG_ERROR_NOT_FOUND, [&] { e.get_project("nope"); });
  expect_error(DG_ERROR_INVALID_INPUT, [&] { e.create_project("p", "t", "n", "{not json"); });

  // A throwing executor fails the item with the exception's message.
  std::string id = request(e, "development", item("prompt_version", "chatbot", "1.1.0") + "," + item("prompt_asset_version", "templates", "2.0.0"),
                           dave);
  int reverts = 0;
  std::string failed = e.execute("japm", id, dave, [&](const dg::Activation &a) {
    if (a.revert) {
      reverts++;
      return;
    }
    if (a.entity_id == "templates") throw std::runtime_error("cdn unreachable");
  });
  CHECK(has(failed, "\"status\":\"failed\"") && has(failed, "cdn unreachable") && reverts == 1);

  // Validators: findings returned as JSON; a throwing validator fails closed.
  e.register_validator("translations", [](const std::string &ctx) {
    CHECK(has(ctx, "\"phase\":\"request\""));
    return std::string(R"([{"code":"translation_missing","severity":"warning","message":"no `de`"}])");
  });
  CHECK(has(e.request_deployment("japm", R"({"environment":"development","name":"w","items":[)" + item("prompt_version", "chatbot", "1.2.0") + "]}", dave),
            "translation_missing"));
  e.register_validator("scanner", [](const std::string &) -> std::string { throw std::runtime_error("scanner offline"); });
  dg::Error s = expect_error(DG_ERROR_VALIDATION_FAILED, [&] { request(e, "development", item("prompt_version", "chatbot", "1.2.0"), dave); });
  CHECK(has(s.findings_json(), "validator_failed") && has(s.findings_json(), "scanner offline"));
  CHECK(e.unregister_validator("scanner"));
  CHECK(!e.unregister_validator("scanner"));
  expect_error(DG_ERROR_INVALID_INPUT, [&] { e.register_validator("", [](const std::string &) { return std::string(); }); });
  // "translations" stays registered: the engine's destructor releases it.
}

// How many times `needle` occurs in `haystack`.
static size_t count(const std::string &haystack, const std::string &needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) n++;
  return n;
}

static void test_events() {
  dg::Engine e;
  setup(e);  // 6 events: the project, two environments, three versions
  std::vector<std::string> kinds;
  e.subscribe("sink", [&](const std::string &event) { kinds.push_back(field(event, "kind")); });
  e.subscribe("broken", [](const std::string &) { throw std::runtime_error("subscriber bug"); });
  e.set_event_signing_key(std::string("s3\0cret", 7));  // any bytes
  std::string id = request(e, "development", item("prompt_version", "chatbot", "1.1.0"), dave);
  CHECK(has(e.execute("japm", id, dave), "\"status\":\"deployed\""));  // the throwing subscriber broke nothing

  std::string outbox = e.events_after("japm", 6);
  CHECK(!kinds.empty() && count(outbox, "\"seq\":") == kinds.size());
  CHECK(kinds.front() == "deployment.requested" && kinds.back() == "deployment.deployed");
  CHECK(count(outbox, "\"signature\":\"") == kinds.size());
  CHECK(count(e.events_after(), "\"seq\":") == 6 + kinds.size());
  CHECK(count(e.events_after("japm", 0, 2), "\"seq\":") == 2);
  CHECK(e.events_after("nope") == "[]");

  std::string first = e.events_after("japm", 0, 1);
  CHECK(field(first, "kind") == "project.created" && field(first, "signature").size() == 64);
  CHECK(e.events_after("japm", 0, 1) == first);
  e.set_event_signing_key(std::string("other"));
  CHECK(field(e.events_after("japm", 0, 1), "signature") != field(first, "signature"));
  e.set_event_signing_key(std::nullopt);
  CHECK(has(e.events_after("japm", 0, 1), "\"signature\":null"));
  expect_error(DG_ERROR_INVALID_INPUT, [&] { e.set_event_signing_key(std::string()); });
  expect_error(DG_ERROR_INVALID_INPUT, [&] { e.events_after("japm", -1); });
  expect_error(DG_ERROR_INVALID_INPUT, [&] { e.events_after("japm", 0, 0); });

  CHECK(e.unsubscribe("sink"));
  CHECK(!e.unsubscribe("sink"));
  size_t seen = kinds.size();
  e.set_health("japm", "development", "down", alice);
  CHECK(kinds.size() == seen);
  expect_error(DG_ERROR_INVALID_INPUT, [&] { e.subscribe("", [](const std::string &) {}); });
  // "broken" stays registered: the engine's destructor releases it.
}

static void test_ownership() {
  int64_t now = 1768467600000000LL;  // 2026-01-15T09:00:00Z
  dg::Engine clocked(":memory:", [&now] { return now; });
  CHECK(has(clocked.create_project("p", "t", "n", alice), "2026-01-15T09:00:00Z"));

  dg::Engine moved = std::move(clocked);
  CHECK(clocked.get() == nullptr && moved.get() != nullptr);
  expect_error(DG_ERROR_INVALID_INPUT, [&] { clocked.get_project("p"); });
  CHECK(has(moved.get_project("p"), "\"id\":\"p\""));

  dg::Engine other;
  other = std::move(moved);  // frees `other`'s engine, takes `moved`'s
  CHECK(has(other.get_project("p"), "\"id\":\"p\""));

  other.close();
  dg::Error closed = expect_error(DG_ERROR_INVALID_INPUT, [&] { other.get_project("p"); });
  CHECK(has(closed.what(), "the engine is closed"));

  expect_error(DG_ERROR_INVALID_INPUT, [] { dg::Engine bad(""); });
  dg::Error storage = expect_error(DG_ERROR_STORAGE, [] { dg::Engine bad("/nonexistent-dir/x.db"); });
  CHECK(storage.storage_code() == 14);  // SQLITE_CANTOPEN
  CHECK(dg::actor("a\"b", {"x"}) == R"({"id":"a\"b","roles":["x"]})");
}

// Freeze windows, two-phase execution, guided failure with a std::function executor, health checks
// and the governed records through the wrapper.
static void test_operations_and_records() {
  dg::Engine e;
  setup(e);
  std::string w = e.add_freeze("japm", R"({"environment":"development","name":"launch","schedule":{"type":"one_off",)"
                                       R"("start":"2000-01-01T00:00:00Z","end":"2100-01-01T00:00:00Z"}})",
                               alice);
  std::string freeze_id = field(w, "id");
  CHECK(has(e.list_freezes("japm"), freeze_id) && has(e.list_freezes("japm", "development"), freeze_id));
  CHECK(has(e.active_freezes("japm", "development", "2026-03-02T10:00:00Z"), freeze_id));
  std::string frozen = request(e, "development", item("prompt_version", "chatbot", "1.1.0"), dave);
  dg::Error f = expect_error(DG_ERROR_VALIDATION_FAILED, [&] { e.begin("japm", frozen, dave); });
  CHECK(has(f.findings_json(), "environment_frozen"));
  expect_error(DG_ERROR_INVALID_INPUT, [&] { e.remove_freeze("japm", freeze_id, alice, ""); });
  CHECK(has(e.remove_freeze("japm", freeze_id, alice, "launch done"), freeze_id));
  CHECK(e.list_freezes("japm") == "[]");

  CHECK(has(e.begin("japm", frozen, dave), R"("status":"deploying")"));
  int64_t seq = e.log("japm", frozen, "build", "compiling");
  CHECK(seq > 0 && e.log("japm", frozen, "build", "linking") > seq);
  CHECK(has(e.deployment_logs("japm", frozen, seq, 10), R"("line":"linking")"));
  expect_error(DG_ERROR_INVALID_INPUT, [&] { e.deployment_logs("japm", frozen, -1); });
  CHECK(has(e.heartbeat("japm", frozen, dave), "lease_expires_at"));
  CHECK(has(e.complete("japm", frozen, dave, R"({"outcome":"success"})"), R"("status":"deployed")"));

  e.set_policy("japm", "development", R"({"on_failure":"pause","health":{"max_consecutive_failures":0}})", alice);
  std::string guided = request(e, "development", item("prompt_version", "chatbot", "1.2.0"), dave);
  int calls = 0;
  bool healthy = false;
  dg::Executor flaky = [&](const dg::Activation &a) {
    ++calls;
    if (!healthy && !a.revert) throw std::runtime_error("flaky host");
  };
  CHECK(has(e.execute("japm", guided, dave, flaky), R"("status":"paused")"));
  expect_error(DG_ERROR_INVALID_INPUT, [&] { e.resume("japm", guided, dave, "later"); });
  healthy = true;
  CHECK(has(e.resume("japm", guided, dave, "retry", "", flaky), R"("status":"deployed")"));
  CHECK(calls == 2);
  std::string outcome = e.report_health("japm", guided, dave, R"({"ok":false})", flaky);
  CHECK(has(outcome, R"("health":"down")") && has(outcome, R"("kind":"rollback")"));
  CHECK(calls == 3);
  CHECK(has(e.health_checks("japm", guided), R"("consecutive_failures":1)"));
  CHECK(e.active_version("japm", "development", "prompt_version", "chatbot")->version_tag == "1.1.0");

  CHECK(has(e.unset_variables("japm", "production", R"(["API_KEY"])", alice), R"("variables":[])"));
  expect_error(DG_ERROR_NOT_FOUND, [&] { e.unset_variables("japm", "production", R"(["API_KEY"])", alice); });
  CHECK(has(e.compare_variables("japm", "development", "production"), "[]"));
  std::string artifact = field(e.attach_artifact("japm", R"({"entity_type":"prompt_version","entity_id":"chatbot",)"
                                                         R"("version_tag":"1.1.0","name":"bundle","uri":"s3://b"})",
                                                 dave),
                               "id");
  CHECK(has(e.list_artifacts("japm", "prompt_version", "chatbot"), artifact));
  CHECK(has(e.list_artifacts("japm", "prompt_version", "chatbot", "1.1.0"), artifact));
  CHECK(e.prunable_artifacts("japm") == "[]");
  expect_error(DG_ERROR_POLICY_VIOLATION, [&] { e.prune_artifacts("japm", "[\"" + artifact + "\"]", alice, "cleanup"); });
  std::string err = field(e.record_deployment_error("japm", R"({"deployment_id":")" + guided +
                                                                R"(","category":"resource","severity":"low","code":"OOM",)"
                                                                R"("stage":"deploy","message":"out of memory"})",
                                                    dave),
                          "id");
  CHECK(has(e.list_deployment_errors("japm", R"({"unresolved_only":true})"), err));
  CHECK(has(e.resolve_deployment_error("japm", err, alice, "more memory"), "more memory"));
  CHECK(e.list_deployment_errors("japm", R"({"unresolved_only":true})") == "[]");
  CHECK(has(e.compliance_report("japm", "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z", "development"), guided));
  CHECK(has(e.compliance_report_csv("japm", "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z"), "deployment_id,environment,"));
  CHECK(has(e.environment_metrics("japm", "development", "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z"), R"("rolled_back":1)"));
  expect_error(DG_ERROR_INVALID_INPUT, [&] { e.environment_metrics("japm", "development", "2100-01-01T00:00:00Z", "2000-01-01T00:00:00Z"); });
}

int main() {
  test_workflow();
  test_errors_and_callbacks();
  test_events();
  test_ownership();
  test_operations_and_records();
  std::cout << "test_wrapper: ok\n";
  return 0;
}
