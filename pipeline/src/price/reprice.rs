//! Repricing as a pure step: which events of a page the current table
//! prices differently, counted into the report. (The service pages through
//! the events; `rollup::deltas::corrections` turns the changes into signed
//! corrections; the store applies them.)

use super::cost;
use super::table::PriceTable;
use domain::pricing::RepriceReport;
use domain::Event;

/// The events of `page` whose price changes, as (old, new) pairs.
pub fn reprice(table: &PriceTable, page: Vec<Event>, report: &mut RepriceReport) -> Vec<(Event, Event)> {
    let mut changed = Vec::new();
    for old in page {
        report.scanned += 1;
        report.unpriced_before += i64::from(old.cost().is_none());
        let mut new = old.clone();
        cost::apply(table, &mut new);
        report.unpriced_after += i64::from(new.cost().is_none());
        if (new.cost(), &new.pricing_id) != (old.cost(), &old.pricing_id) {
            report.changed += 1;
            report.delta_nanos += new.cost().unwrap_or(0) - old.cost().unwrap_or(0);
            changed.push((old, new));
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::testing::ev;
    use domain::visibility::Cost;
    use domain::Status;

    #[test]
    fn only_changed_prices_are_returned_and_counted() {
        let table = PriceTable::load(None).unwrap();
        let mut stale = ev(1, "c", "t", "response", Status::Success);
        stale.model = Some("gpt-4o".into());
        stale.usage.input_tokens = 1_000_000;
        stale.cost_nanos = Cost::Shown(None);
        let mut current = stale.clone();
        current.id = 2;
        cost::apply(&table, &mut current);
        let mut report = RepriceReport::default();
        let changed = reprice(&table, vec![stale, current.clone()], &mut report);
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0].1.cost(), current.cost());
        assert_eq!((report.scanned, report.changed, report.unpriced_before, report.unpriced_after), (2, 1, 1, 0));
        assert_eq!(report.delta_nanos, current.cost().unwrap());
    }
}
