/**
 * @file deploygov.hpp
 * @brief Header-only C++17 RAII wrapper over the deploygov C ABI (deploygov.h).
 *
 * - `deploygov::Engine` owns a `DgEngine *` (freed by its destructor; move-only).
 * - Every failing call throws `deploygov::Error` carrying the status code (a `DgError` value),
 *   its name, the message and, for `validation_failed`, the findings JSON.
 * - Results are the C ABI's JSON strings as `std::string` (schema: docs/c-api.md); the hot path
 *   `active_version` is typed.
 * - Callbacks are `std::function`s. An executor throws to fail an item (the exception's `what()`
 *   becomes the item's message); a validator returns a findings JSON array (or "") and throws to
 *   fail; a subscriber gets each event's JSON (an exception it throws is swallowed: a subscriber
 *   never breaks a command). Exceptions never cross into the library.
 */
#ifndef DEPLOYGOV_HPP
#define DEPLOYGOV_HPP

#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "deploygov.h"

namespace deploygov {

/** A failed call. */
class Error : public std::runtime_error {
 public:
  Error(int32_t code, const std::string &message, std::string findings_json, int32_t storage_code = 0)
      : std::runtime_error(message), code_(code), findings_json_(std::move(findings_json)), storage_code_(storage_code) {}

  /** The status (`DG_ERROR_NOT_FOUND`, ...). */
  int32_t code() const noexcept { return code_; }

  /** The status's snake_case name (`"not_found"`, ...). */
  const char *name() const noexcept {
    const char *n = dg_error_name(code_);
    return n != nullptr ? n : "unknown";
  }

  /** For `validation_failed`: `{"errors":[...],"warnings":[...]}`; otherwise empty. */
  const std::string &findings_json() const noexcept { return findings_json_; }

  /** For `storage`: the backend's own code (SQLite's extended result code); otherwise 0. */
  int32_t storage_code() const noexcept { return storage_code_; }

 private:
  int32_t code_;
  std::string findings_json_;
  int32_t storage_code_;
};

namespace detail {

struct StringDeleter {
  void operator()(char *s) const noexcept { dg_string_free(s); }
};

/** A library string owned until the end of scope. */
using OwnedString = std::unique_ptr<char, StringDeleter>;

/** Copies and releases a library string (NULL gives ""). */
inline std::string take(char *s) {
  OwnedString owned(s);
  return owned ? std::string(owned.get()) : std::string();
}

/** Throws the calling thread's last error unless `status` is `DG_OK`. */
inline void check(int32_t status) {
  if (status == DG_OK) return;
  std::string message = take(dg_last_error_message());
  std::string findings = take(dg_last_error_findings());
  throw Error(status, message, std::move(findings), dg_last_error_storage_code());
}

/** "" means "not given" (NULL) for optional C arguments. */
inline const char *opt(const std::string &s) noexcept { return s.empty() ? nullptr : s.c_str(); }

/** Copies `text` into a C buffer of `capacity` bytes, always NUL-terminated. */
inline void copy_message(char *buffer, size_t capacity, const char *text) noexcept {
  if (buffer == nullptr || capacity == 0) return;
  size_t n = std::strlen(text);
  if (n >= capacity) n = capacity - 1;
  std::memcpy(buffer, text, n);
  buffer[n] = '\0';
}

/** A JSON string literal for `s`. */
inline std::string quote(const std::string &s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          static const char hex[] = "0123456789abcdef";
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace detail

/** The actor JSON `{"id":...,"roles":[...]}`. */
inline std::string actor(const std::string &id, std::initializer_list<std::string> roles = {}) {
  std::string json = "{\"id\":" + detail::quote(id) + ",\"roles\":[";
  bool first = true;
  for (const auto &r : roles) {
    if (!first) json += ",";
    json += detail::quote(r);
    first = false;
  }
  return json + "]}";
}

/** One activation, copied out of `DgActivation`. */
struct Activation {
  std::string project_id;
  std::string environment;
  std::string environment_json; /**< secrets readable */
  std::string deployment_id;
  std::string entity_type;
  std::string entity_id;
  std::optional<std::string> version_tag; /**< empty: remove the entity */
  std::optional<std::string> previous_version;
  bool revert = false;
};

/** Makes a version live; throw to fail the item. */
using Executor = std::function<void(const Activation &)>;
/** Gets the validation context JSON, returns a findings JSON array ("" = none); throw to fail. */
using Validator = std::function<std::string(const std::string &context_json)>;
/** Current time in microseconds since the Unix epoch. */
using Clock = std::function<int64_t()>;
/** Gets one event's JSON after its transaction committed; must be thread-safe. */
using Subscriber = std::function<void(const std::string &event_json)>;

/** What is live for one entity (the typed hot path). */
struct ActiveVersion {
  std::string version_tag;
  std::string deployment_id;
};

/** An open engine; thread-safe like the `DgEngine` it owns. */
class Engine {
 public:
  /** Opens a SQLite file, or `":memory:"`. */
  explicit Engine(const std::string &path = ":memory:") { detail::check(dg_engine_open(path.c_str(), &raw_)); }

  /** Opens with a host clock (tests). */
  Engine(const std::string &path, Clock clock) {
    auto *boxed = new Clock(std::move(clock));
    // The library owns `boxed` from here on, even if opening fails.
    detail::check(dg_engine_open_with_clock(path.c_str(), &clock_now, boxed, &delete_clock, &raw_));
  }

  ~Engine() { dg_engine_free(raw_); }
  Engine(Engine &&other) noexcept : raw_(std::exchange(other.raw_, nullptr)) {}
  Engine &operator=(Engine &&other) noexcept {
    if (this != &other) {
      dg_engine_free(raw_);
      raw_ = std::exchange(other.raw_, nullptr);
    }
    return *this;
  }
  Engine(const Engine &) = delete;
  Engine &operator=(const Engine &) = delete;

  /** The C handle, for calls the wrapper does not cover. Still owned by this object. */
  DgEngine *get() const noexcept { return raw_; }

  /** Closes the engine; later calls throw `invalid_input`. */
  void close() { detail::check(dg_engine_close(raw_)); }

  std::string create_project(const std::string &id, const std::string &tenant, const std::string &name, const std::string &actor) const {
    return call([&](char **out) { return dg_project_create(raw_, id.c_str(), tenant.c_str(), name.c_str(), actor.c_str(), out); });
  }
  std::string get_project(const std::string &project) const {
    return call([&](char **out) { return dg_project_get(raw_, project.c_str(), out); });
  }
  std::string create_environment(const std::string &project, const std::string &spec_json, const std::string &actor) const {
    return call([&](char **out) { return dg_environment_create(raw_, project.c_str(), spec_json.c_str(), actor.c_str(), out); });
  }
  std::string get_environment(const std::string &project, const std::string &environment) const {
    return call([&](char **out) { return dg_environment_get(raw_, project.c_str(), environment.c_str(), out); });
  }
  std::string list_environments(const std::string &project) const {
    return call([&](char **out) { return dg_environment_list(raw_, project.c_str(), out); });
  }
  std::string set_policy(const std::string &project, const std::string &environment, const std::string &policy_json,
                         const std::string &actor) const {
    return call([&](char **out) { return dg_policy_set(raw_, project.c_str(), environment.c_str(), policy_json.c_str(), actor.c_str(), out); });
  }
  std::string set_variables(const std::string &project, const std::string &environment, const std::string &variables_json,
                            const std::string &actor) const {
    return call(
        [&](char **out) { return dg_variables_set(raw_, project.c_str(), environment.c_str(), variables_json.c_str(), actor.c_str(), out); });
  }
  std::string set_health(const std::string &project, const std::string &environment, const std::string &health,
                         const std::string &actor) const {
    return call([&](char **out) { return dg_health_set(raw_, project.c_str(), environment.c_str(), health.c_str(), actor.c_str(), out); });
  }
  std::string register_version(const std::string &project, const std::string &spec_json, const std::string &actor) const {
    return call([&](char **out) { return dg_version_register(raw_, project.c_str(), spec_json.c_str(), actor.c_str(), out); });
  }
  /** Quarantines a catalog version (admins; `reason` required): refused in new deployments and promotions. */
  std::string quarantine_version(const std::string &project, const std::string &entity_type, const std::string &entity_id,
                                 const std::string &version_tag, const std::string &actor, const std::string &reason) const {
    return call([&](char **out) {
      return dg_version_quarantine(raw_, project.c_str(), entity_type.c_str(), entity_id.c_str(), version_tag.c_str(), actor.c_str(),
                                   reason.c_str(), out);
    });
  }
  /** Releases a quarantined version (admins; `reason` required). */
  std::string release_version(const std::string &project, const std::string &entity_type, const std::string &entity_id,
                              const std::string &version_tag, const std::string &actor, const std::string &reason) const {
    return call([&](char **out) {
      return dg_version_release(raw_, project.c_str(), entity_type.c_str(), entity_id.c_str(), version_tag.c_str(), actor.c_str(),
                                reason.c_str(), out);
    });
  }
  std::string list_versions(const std::string &project, const std::string &entity_type, const std::string &entity_id) const {
    return call([&](char **out) { return dg_version_list(raw_, project.c_str(), entity_type.c_str(), entity_id.c_str(), out); });
  }
  std::string request_deployment(const std::string &project, const std::string &request_json, const std::string &actor) const {
    return call([&](char **out) { return dg_deployment_request(raw_, project.c_str(), request_json.c_str(), actor.c_str(), out); });
  }
  std::string approve(const std::string &project, const std::string &id, const std::string &actor,
                      const std::string &options_json = "") const {
    return call([&](char **out) {
      return dg_deployment_approve(raw_, project.c_str(), id.c_str(), actor.c_str(), detail::opt(options_json), out);
    });
  }
  std::string reject(const std::string &project, const std::string &id, const std::string &actor, const std::string &reason) const {
    return call([&](char **out) { return dg_deployment_reject(raw_, project.c_str(), id.c_str(), actor.c_str(), reason.c_str(), out); });
  }
  std::string cancel(const std::string &project, const std::string &id, const std::string &actor, const std::string &reason = "") const {
    return call(
        [&](char **out) { return dg_deployment_cancel(raw_, project.c_str(), id.c_str(), actor.c_str(), detail::opt(reason), out); });
  }
  /** Executes; without an executor only the active state moves. Returns the final deployment. */
  std::string execute(const std::string &project, const std::string &id, const std::string &actor, const Executor &executor = nullptr,
                      const std::string &options_json = "") const {
    return call([&](char **out) {
      return dg_deployment_execute(raw_, project.c_str(), id.c_str(), actor.c_str(), detail::opt(options_json),
                                   executor ? &run_executor : nullptr, const_cast<Executor *>(&executor), out);
    });
  }
  /** Rolls back; `options_json` is `{"reason":...,"target"?:...}`. */
  std::string rollback(const std::string &project, const std::string &id, const std::string &actor, const std::string &options_json,
                       const Executor &executor = nullptr) const {
    return call([&](char **out) {
      return dg_deployment_rollback(raw_, project.c_str(), id.c_str(), actor.c_str(), options_json.c_str(),
                                    executor ? &run_executor : nullptr, const_cast<Executor *>(&executor), out);
    });
  }
  /** Promotes a deployment that went live to `to_environment`: a new `promotion` deployment. */
  std::string promote(const std::string &project, const std::string &id, const std::string &to_environment,
                      const std::string &actor) const {
    return call([&](char **out) {
      return dg_deployment_promote(raw_, project.c_str(), id.c_str(), to_environment.c_str(), actor.c_str(), out);
    });
  }
  /** Ends a `deploying` execution (admins; `reason` required); the deployment becomes `failed`. */
  std::string release_lease(const std::string &project, const std::string &id, const std::string &actor,
                            const std::string &reason) const {
    return call([&](char **out) { return dg_lease_release(raw_, project.c_str(), id.c_str(), actor.c_str(), reason.c_str(), out); });
  }
  /** The periodic, store-wide sweep: `{"leases_expired":[...],"approvals_expired":[...],"schedules_expired":[...]}`. */
  std::string sweep() const {
    return call([&](char **out) { return dg_sweep(raw_, out); });
  }
  std::string check(const std::string &project, const std::string &id, const std::string &actor, const std::string &action) const {
    return call([&](char **out) { return dg_deployment_check(raw_, project.c_str(), id.c_str(), actor.c_str(), action.c_str(), out); });
  }
  std::string get_deployment(const std::string &project, const std::string &id) const {
    return call([&](char **out) { return dg_deployment_get(raw_, project.c_str(), id.c_str(), out); });
  }
  std::string list_deployments(const std::string &project, const std::string &filter_json = "") const {
    return call([&](char **out) { return dg_deployment_list(raw_, project.c_str(), detail::opt(filter_json), out); });
  }
  /** The approved deployments that may run now (scheduled_for reached, expires_at not), oldest first: `[Deployment]`. */
  std::string due(const std::string &project) const {
    return call([&](char **out) { return dg_deployments_due(raw_, project.c_str(), out); });
  }
  std::string active_state(const std::string &project, const std::string &environment) const {
    return call([&](char **out) { return dg_active_state(raw_, project.c_str(), environment.c_str(), out); });
  }
  /** What was live at `at` (an RFC 3339 time), and who put it there: `[LiveEntry]`. */
  std::string active_state_at(const std::string &project, const std::string &environment, const std::string &at) const {
    return call([&](char **out) { return dg_active_state_at(raw_, project.c_str(), environment.c_str(), at.c_str(), out); });
  }
  /** The deployments live at `at` (an RFC 3339 time), newest first: `[Deployment]`. */
  std::string deployments_live_at(const std::string &project, const std::string &environment, const std::string &at) const {
    return call([&](char **out) { return dg_deployments_live_at(raw_, project.c_str(), environment.c_str(), at.c_str(), out); });
  }
  /** The hot path: what is live for one entity, if anything. */
  std::optional<ActiveVersion> active_version(const std::string &project, const std::string &environment, const std::string &entity_type,
                                              const std::string &entity_id) const {
    char *tag = nullptr;
    char *deployment = nullptr;
    bool found = false;
    detail::check(dg_active_version(raw_, project.c_str(), environment.c_str(), entity_type.c_str(), entity_id.c_str(), &tag, &deployment,
                                    &found));
    std::string t = detail::take(tag);
    std::string d = detail::take(deployment);
    if (!found) return std::nullopt;
    return ActiveVersion{std::move(t), std::move(d)};
  }
  std::string entity_history(const std::string &project, const std::string &entity_type, const std::string &entity_id,
                             std::optional<uint32_t> limit = std::nullopt) const {
    return call([&](char **out) {
      return dg_entity_history(raw_, project.c_str(), entity_type.c_str(), entity_id.c_str(), limit ? &*limit : nullptr, out);
    });
  }
  std::string compare_environments(const std::string &project, const std::string &left, const std::string &right) const {
    return call([&](char **out) { return dg_environments_compare(raw_, project.c_str(), left.c_str(), right.c_str(), out); });
  }
  std::string pending_approvals(const std::string &project, const std::string &actor) const {
    return call([&](char **out) { return dg_pending_approvals(raw_, project.c_str(), actor.c_str(), out); });
  }
  std::string audit_log(const std::string &project, const std::string &object_id = "", int64_t after_seq = 0,
                        std::optional<uint32_t> limit = std::nullopt) const {
    return call([&](char **out) {
      return dg_audit_log(raw_, project.c_str(), detail::opt(object_id), after_seq, limit ? &*limit : nullptr, out);
    });
  }
  std::string verify_audit() const {
    return call([&](char **out) { return dg_audit_verify(raw_, out); });
  }
  /** Registers (or replaces) a validator; the engine keeps the function until it is removed. */
  void register_validator(const std::string &name, Validator validator) const {
    auto *boxed = new Validator(std::move(validator));
    // The library owns `boxed` from here on, even if registration fails.
    detail::check(dg_validator_register(raw_, name.c_str(), &run_validator, boxed, &delete_validator));
  }
  /** Removes a validator; returns whether it existed. */
  bool unregister_validator(const std::string &name) const {
    bool existed = false;
    detail::check(dg_validator_unregister(raw_, name.c_str(), &existed));
    return existed;
  }
  /** Events after the cursor `after_seq`, as a JSON array of `Event`; `project` "" means every
   *  project; `limit` 1..1000 (default 100). */
  std::string events_after(const std::string &project = "", int64_t after_seq = 0, std::optional<uint32_t> limit = std::nullopt) const {
    return call([&](char **out) { return dg_events_after(raw_, detail::opt(project), after_seq, limit ? &*limit : nullptr, out); });
  }
  /** Signs events with `key` (HMAC-SHA256; any bytes; an empty key is `invalid_input`), or clears
   *  the key with `std::nullopt`. */
  void set_event_signing_key(const std::optional<std::string> &key) const {
    if (key) {
      detail::check(dg_event_signing_key_set(raw_, reinterpret_cast<const uint8_t *>(key->data()), key->size()));
    } else {
      detail::check(dg_event_signing_key_set(raw_, nullptr, 0));
    }
  }
  /** Registers (or replaces) a subscriber; the engine keeps the function until it is removed. */
  void subscribe(const std::string &name, Subscriber subscriber) const {
    auto *boxed = new Subscriber(std::move(subscriber));
    // The library owns `boxed` from here on, even if registration fails.
    detail::check(dg_subscriber_register(raw_, name.c_str(), &run_subscriber, boxed, &delete_subscriber));
  }
  /** Removes a subscriber; returns whether it existed. */
  bool unsubscribe(const std::string &name) const {
    bool existed = false;
    detail::check(dg_subscriber_unregister(raw_, name.c_str(), &existed));
    return existed;
  }

  // ---- freeze windows ----
  /** Creates a freeze window from a `FreezeSpec` JSON (admins): `FreezeWindow`. */
  std::string add_freeze(const std::string &project, const std::string &spec_json, const std::string &actor) const {
    return call([&](char **out) { return dg_freeze_add(raw_, project.c_str(), spec_json.c_str(), actor.c_str(), out); });
  }
  /** Removes a freeze window (admins; `reason` required): the removed `FreezeWindow`. */
  std::string remove_freeze(const std::string &project, const std::string &freeze_id, const std::string &actor,
                            const std::string &reason) const {
    return call([&](char **out) { return dg_freeze_remove(raw_, project.c_str(), freeze_id.c_str(), actor.c_str(), reason.c_str(), out); });
  }
  /** The freeze windows of a project, or ("" = all) those applying to one environment: `[FreezeWindow]`. */
  std::string list_freezes(const std::string &project, const std::string &environment = "") const {
    return call([&](char **out) { return dg_freeze_list(raw_, project.c_str(), detail::opt(environment), out); });
  }
  /** The freeze windows covering `environment` at `at` (RFC 3339): `[FreezeWindow]`. */
  std::string active_freezes(const std::string &project, const std::string &environment, const std::string &at) const {
    return call([&](char **out) { return dg_freezes_active(raw_, project.c_str(), environment.c_str(), at.c_str(), out); });
  }

  // ---- two-phase execution, guided failure, health ----
  /** Starts an out-of-process execution (`approved` → `deploying`): the `Deployment`. */
  std::string begin(const std::string &project, const std::string &id, const std::string &actor, const std::string &options_json = "") const {
    return call([&](char **out) { return dg_deployment_begin(raw_, project.c_str(), id.c_str(), actor.c_str(), detail::opt(options_json), out); });
  }
  /** Appends a stage log line to a running deployment; returns its cursor. */
  int64_t log(const std::string &project, const std::string &id, const std::string &stage, const std::string &line) const {
    int64_t seq = 0;
    detail::check(dg_deployment_log(raw_, project.c_str(), id.c_str(), stage.c_str(), line.c_str(), &seq));
    return seq;
  }
  /** A page of the stage log after `after_seq`: `LogPage` `{"lines","next_cursor","dropped","open"}`. */
  std::string deployment_logs(const std::string &project, const std::string &id, int64_t after_seq = 0,
                              std::optional<uint32_t> limit = std::nullopt) const {
    return call([&](char **out) { return dg_deployment_logs(raw_, project.c_str(), id.c_str(), after_seq, limit ? &*limit : nullptr, out); });
  }
  /** Extends the lease of a `deploying` deployment (its executor or an admin): the `Deployment`. */
  std::string heartbeat(const std::string &project, const std::string &id, const std::string &actor) const {
    return call([&](char **out) { return dg_deployment_heartbeat(raw_, project.c_str(), id.c_str(), actor.c_str(), out); });
  }
  /** Finishes an out-of-process execution with a `Completion` JSON: the `Deployment`. */
  std::string complete(const std::string &project, const std::string &id, const std::string &actor,
                       const std::string &completion_json) const {
    return call(
        [&](char **out) { return dg_deployment_complete(raw_, project.c_str(), id.c_str(), actor.c_str(), completion_json.c_str(), out); });
  }
  /** Decides on a `paused` deployment: `decision` `retry`|`skip`|`abort` (`reason` "" = none). */
  std::string resume(const std::string &project, const std::string &id, const std::string &actor, const std::string &decision,
                     const std::string &reason = "", const Executor &executor = nullptr) const {
    return call([&](char **out) {
      return dg_deployment_resume(raw_, project.c_str(), id.c_str(), actor.c_str(), decision.c_str(), detail::opt(reason),
                                  executor ? &run_executor : nullptr, const_cast<Executor *>(&executor), out);
    });
  }
  /** Records a health check (`HealthReport` JSON) of a live deployment: `HealthOutcome`; a breach may
   *  roll back through `executor`. */
  std::string report_health(const std::string &project, const std::string &id, const std::string &actor, const std::string &report_json,
                            const Executor &executor = nullptr) const {
    return call([&](char **out) {
      return dg_deployment_health_report(raw_, project.c_str(), id.c_str(), actor.c_str(), report_json.c_str(),
                                         executor ? &run_executor : nullptr, const_cast<Executor *>(&executor), out);
    });
  }
  /** The health checks of a deployment, oldest first: `[HealthCheck]`. */
  std::string health_checks(const std::string &project, const std::string &id) const {
    return call([&](char **out) { return dg_deployment_health_checks(raw_, project.c_str(), id.c_str(), out); });
  }

  // ---- governed records ----
  /** Removes variables (`keys_json` a JSON array of keys; admins): the `Environment`. */
  std::string unset_variables(const std::string &project, const std::string &environment, const std::string &keys_json,
                              const std::string &actor) const {
    return call(
        [&](char **out) { return dg_variables_unset(raw_, project.c_str(), environment.c_str(), keys_json.c_str(), actor.c_str(), out); });
  }
  /** Compares two environments' variables (secrets as `***`): `[VariableDiff]`. */
  std::string compare_variables(const std::string &project, const std::string &left, const std::string &right) const {
    return call([&](char **out) { return dg_variables_compare(raw_, project.c_str(), left.c_str(), right.c_str(), out); });
  }
  /** Attaches a build artifact (`ArtifactSpec` JSON) to a catalog version: `Artifact`. */
  std::string attach_artifact(const std::string &project, const std::string &spec_json, const std::string &actor) const {
    return call([&](char **out) { return dg_artifact_attach(raw_, project.c_str(), spec_json.c_str(), actor.c_str(), out); });
  }
  /** The artifacts of one version, or ("" = every version) of the entity: `[Artifact]`. */
  std::string list_artifacts(const std::string &project, const std::string &entity_type, const std::string &entity_id,
                             const std::string &version_tag = "") const {
    return call([&](char **out) {
      return dg_artifact_list(raw_, project.c_str(), entity_type.c_str(), entity_id.c_str(), detail::opt(version_tag), out);
    });
  }
  /** The artifacts the retention rules allow pruning now: `[Artifact]`. */
  std::string prunable_artifacts(const std::string &project) const {
    return call([&](char **out) { return dg_artifacts_prunable(raw_, project.c_str(), out); });
  }
  /** Deletes artifact records (`ids_json` a JSON array; admins; `reason` required), all or nothing: `[Artifact]`. */
  std::string prune_artifacts(const std::string &project, const std::string &ids_json, const std::string &actor,
                              const std::string &reason) const {
    return call(
        [&](char **out) { return dg_artifacts_prune(raw_, project.c_str(), ids_json.c_str(), actor.c_str(), reason.c_str(), out); });
  }
  /** Records a deployment error (`ErrorSpec` JSON): `DeploymentErrorRecord`. */
  std::string record_deployment_error(const std::string &project, const std::string &spec_json, const std::string &actor) const {
    return call([&](char **out) { return dg_deployment_error_record(raw_, project.c_str(), spec_json.c_str(), actor.c_str(), out); });
  }
  /** Resolves a deployment error with notes: `DeploymentErrorRecord`. */
  std::string resolve_deployment_error(const std::string &project, const std::string &error_id, const std::string &actor,
                                       const std::string &notes) const {
    return call([&](char **out) {
      return dg_deployment_error_resolve(raw_, project.c_str(), error_id.c_str(), actor.c_str(), notes.c_str(), out);
    });
  }
  /** Deployment errors matching an `ErrorFilter` JSON ("" = all): `[DeploymentErrorRecord]`. */
  std::string list_deployment_errors(const std::string &project, const std::string &filter_json = "") const {
    return call([&](char **out) { return dg_deployment_error_list(raw_, project.c_str(), detail::opt(filter_json), out); });
  }
  /** The compliance report for `[from, to)` (RFC 3339), of one environment or ("") the governed ones: JSON. */
  std::string compliance_report(const std::string &project, const std::string &from, const std::string &to,
                                const std::string &environment = "") const {
    return call([&](char **out) {
      return dg_compliance_report(raw_, project.c_str(), from.c_str(), to.c_str(), detail::opt(environment), out);
    });
  }
  /** The same report as RFC 4180 CSV. */
  std::string compliance_report_csv(const std::string &project, const std::string &from, const std::string &to,
                                    const std::string &environment = "") const {
    return call([&](char **out) {
      return dg_compliance_report_csv(raw_, project.c_str(), from.c_str(), to.c_str(), detail::opt(environment), out);
    });
  }
  /** Delivery figures of one environment for `[from, to)` (RFC 3339): `EnvironmentMetrics`. */
  std::string environment_metrics(const std::string &project, const std::string &environment, const std::string &from,
                                  const std::string &to) const {
    return call(
        [&](char **out) { return dg_environment_metrics(raw_, project.c_str(), environment.c_str(), from.c_str(), to.c_str(), out); });
  }

 private:
  template <class F>
  static std::string call(F &&f) {
    char *out = nullptr;
    detail::check(f(&out));
    return detail::take(out);
  }

  static int64_t clock_now(void *user_data) noexcept {
    try {
      return (*static_cast<Clock *>(user_data))();
    } catch (...) {
      return INT64_MIN; /* out of range: the library falls back to the system clock */
    }
  }
  static void delete_clock(void *user_data) noexcept { delete static_cast<Clock *>(user_data); }

  static int32_t run_executor(void *user_data, const DgActivation *a, char *message, size_t capacity) noexcept {
    try {
      Activation act;
      act.project_id = a->project_id;
      act.environment = a->environment;
      act.environment_json = a->environment_json;
      act.deployment_id = a->deployment_id;
      act.entity_type = a->entity_type;
      act.entity_id = a->entity_id;
      if (a->version_tag != nullptr) act.version_tag = a->version_tag;
      if (a->previous_version != nullptr) act.previous_version = a->previous_version;
      act.revert = a->revert;
      (*static_cast<const Executor *>(user_data))(act);
      return 0;
    } catch (const std::exception &e) {
      detail::copy_message(message, capacity, e.what());
    } catch (...) {
      detail::copy_message(message, capacity, "unknown exception");
    }
    return 1;
  }

  static int32_t run_validator(void *user_data, const char *context_json, DgValidatorReply *reply) noexcept {
    try {
      std::string findings = (*static_cast<Validator *>(user_data))(context_json);
      if (findings.empty()) return 0;
      return dg_validator_reply_findings(reply, findings.c_str()) == DG_OK ? 0 : 1;
    } catch (const std::exception &e) {
      dg_validator_reply_error(reply, e.what());
    } catch (...) {
      dg_validator_reply_error(reply, "unknown exception");
    }
    return 1;
  }
  static void delete_validator(void *user_data) noexcept { delete static_cast<Validator *>(user_data); }

  static void run_subscriber(void *user_data, const char *event_json) noexcept {
    try {
      (*static_cast<Subscriber *>(user_data))(event_json);
    } catch (...) {
      // A subscriber cannot fail the command, which has already committed.
    }
  }
  static void delete_subscriber(void *user_data) noexcept { delete static_cast<Subscriber *>(user_data); }

  DgEngine *raw_ = nullptr;
};

}  // namespace deploygov

#endif
