#![doc = include_str!("../../README.md")]

pub mod audit;
pub mod clock;
pub mod engine;
pub mod error;
pub mod events;
pub mod executor;
pub mod freeze;
pub mod model;
pub mod policy;
pub mod records;
pub mod state;
pub mod store;
pub mod validation;
pub mod version;

pub use audit::{AuditEntry, AuditVerification};
pub use clock::{Clock, ManualClock, SystemClock};
pub use engine::{
    Action, ApproveOptions, Blocker, Completion, DryRun, Engine, ExecuteOptions, HealthCheck, HealthOutcome, HealthReport, LogPage,
    ResumeDecision, RollbackOptions,
};
pub use error::{Error, ErrorCode, Result};
pub use events::{Event, Subscriber};
pub use executor::{Activation, Executor, NoopExecutor};
pub use freeze::{Day, FreezeSchedule, FreezeSpec, FreezeWindow};
pub use model::*;
pub use policy::{ApprovalRule, ApprovalState, FailureMode, HealthPolicy, Policy, RiskEscalation, RollbackPolicy, RuleStatus};
pub use records::{
    Artifact, ArtifactSpec, ComplianceEntry, ComplianceReport, DeploymentErrorRecord, EnvironmentMetrics, ErrorCategory, ErrorFilter,
    ErrorResolution, ErrorSeverity, ErrorSpec, ReportItem, VariableDiff,
};
pub use store::LogLine;
pub use validation::{Finding, Phase, Severity, ValidationContext, ValidationReport, Validator};
