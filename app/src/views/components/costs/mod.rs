//! The cost monitor's parts, one per file: the range picker, the key
//! figures and live ticker, the charts, the model comparison, recent
//! operations, export, budgets with alerts, and where alerts are sent.

pub mod budgets;
pub mod chart;
pub mod export;
pub mod export_jobs;
pub mod figures;
pub mod models;
pub mod notify;
pub mod operations;
pub mod range;
pub mod tenants;
pub mod tools;
