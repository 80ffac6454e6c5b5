//! The price table as the admin editor shows it, a price change (stored as
//! an effective-dated override, then the live table swapped), and
//! repricing a range with the current table.

use super::error::Context;
use super::{Service, ServiceError, Viewer};
use crate::bus::Change;
use crate::price::{self, update, PriceTable};
use crate::rollup::deltas;
use domain::audit::AuditAction;
use domain::pricing::{Origin, PriceEntry, PriceUpdate, PricingView, RepriceReport};
use std::cmp::Reverse;

/// Events read and corrected per transaction.
const REPRICE_PAGE: i64 = 1000;

impl Service {
    /// The bundled and configured entries, and the admin's overrides,
    /// newest first.
    pub fn pricing_view(&self) -> PricingView {
        let table = self.pricing.current();
        let mut overrides: Vec<PriceEntry> = table.admin_entries().cloned().collect();
        overrides.sort_by_key(|e| match e.origin {
            Origin::Admin { effective_from, .. } => Reverse(effective_from),
            _ => Reverse(i64::MIN),
        });
        PricingView { entries: table.fixed_entries().to_vec(), overrides }
    }

    /// Checks, stores and applies a change; returns the new entry.
    pub async fn update_price(&self, by: &Viewer, u: &PriceUpdate, now_ms: i64) -> Result<PriceEntry, ServiceError> {
        let entry = update::entry_for(&self.pricing.current(), u, now_ms)
            .map_err(|e| ServiceError::Invalid { field: e.field, message: e.message })?;
        const NOT_SAVED: &str = "the price could not be saved";
        self.store.add_price_override(&entry, u.effective_from, now_ms).await.or_unavailable(NOT_SAVED)?;
        let stored = self.store.price_overrides().await.or_unavailable(NOT_SAVED)?;
        let table = self.pricing.current().with_admin_overrides(stored).map_err(|e| {
            // Every stored entry was checked on the way in; this is a corrupt row.
            tracing::error!(error = %e, "Stored price overrides do not compile.");
            ServiceError::Conflict("the stored price overrides are invalid; see the server log".into())
        })?;
        self.pricing.replace(table);
        self.bus.publish_change(Change::Pricing).await;
        let detail = format!(
            "pattern={} input={} output={} effective_from={}",
            entry.pattern, u.input, u.output, u.effective_from
        );
        self.audit(by, AuditAction::PriceChanged, &format!("price {}", entry.id), &detail).await;
        Ok(entry)
    }

    /// Recomputes the cost of every event with `ts` in `[from, to)` with
    /// the current table and corrects what was derived from it, a page per
    /// transaction: a failure leaves the pages already done corrected.
    pub async fn reprice(&self, by: &Viewer, from: i64, to: i64) -> Result<RepriceReport, ServiceError> {
        if to <= from {
            return Err(ServiceError::invalid("to", "must be after `from`"));
        }
        let table: std::sync::Arc<PriceTable> = self.pricing.current();
        const UNFINISHED: &str = "the reprice could not finish; the events it reached are corrected";
        let mut report = RepriceReport::default();
        let mut after = 0;
        loop {
            let page = self.store.events_between(from, to, after, REPRICE_PAGE).await.or_unavailable(UNFINISHED)?;
            let Some(last) = page.last() else { break };
            after = last.id;
            let full = page.len() as i64 == REPRICE_PAGE;
            let changed = price::reprice(&table, page, &mut report);
            self.store.apply_corrections(&deltas::corrections(&changed)).await.or_unavailable(UNFINISHED)?;
            if !full {
                break;
            }
        }
        let detail = format!("from={from} to={to} scanned={} changed={}", report.scanned, report.changed);
        self.audit(by, AuditAction::Repriced, "events", &detail).await;
        Ok(report)
    }
}
