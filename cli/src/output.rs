//! Writing results: aligned text tables for people, serde JSON for scripts. Every write goes
//! through here so a closed pipe (`| head`) ends the command quietly instead of panicking.

use std::io::Write;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::{CliError, CliResult};

/// Writes `text` to stdout and flushes.
pub fn emit(text: &str) -> CliResult<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Writes one line.
pub fn line(text: &str) -> CliResult<()> {
    emit(&format!("{text}\n"))
}

/// Pretty JSON of a value.
pub fn json<T: Serialize + ?Sized>(value: &T) -> CliResult<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::other(format!("cannot serialize the result: {e}"), "report this as a bug"))?;
    line(&text)
}

/// One JSON line of a value (for streams: audit export, events).
pub fn json_line<T: Serialize + ?Sized>(value: &T) -> CliResult<()> {
    let text =
        serde_json::to_string(value).map_err(|e| CliError::other(format!("cannot serialize the result: {e}"), "report this as a bug"))?;
    line(&text)
}

/// A time as people read it in a table.
pub fn time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// An optional time, `-` when absent.
pub fn opt_time(t: Option<&DateTime<Utc>>) -> String {
    t.map(time).unwrap_or_else(|| "-".to_owned())
}

/// An optional string, `-` when absent.
pub fn opt(s: Option<&str>) -> String {
    s.unwrap_or("-").to_owned()
}

/// A text table with a header row; columns are as wide as their widest cell.
#[derive(Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column names.
    pub fn new(header: &[&str]) -> Self {
        Self { header: header.iter().map(|h| h.to_uppercase()).collect(), rows: Vec::new() }
    }

    /// Adds a row (missing cells are blank, extra cells are kept).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as text, or `empty` when it has no rows.
    pub fn render(&self, empty: &str) -> String {
        if self.rows.is_empty() {
            return format!("{empty}\n");
        }
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                let w = cell.chars().count();
                match widths.get_mut(i) {
                    Some(cur) => *cur = (*cur).max(w),
                    None => widths.push(w),
                }
            }
        }
        let mut out = String::new();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let mut cells = Vec::with_capacity(widths.len());
            for (i, w) in widths.iter().enumerate() {
                let cell = row.get(i).map(String::as_str).unwrap_or("");
                cells.push(format!("{cell:<w$}"));
            }
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
        out
    }

    /// Prints the table.
    pub fn print(&self, empty: &str) -> CliResult<()> {
        emit(&self.render(empty))
    }
}

/// Prints `key: value` lines, keys aligned.
pub fn fields(pairs: &[(&str, String)]) -> CliResult<()> {
    let width = pairs.iter().map(|(k, _)| k.len() + 1).max().unwrap_or(0);
    let mut out = String::new();
    for (k, v) in pairs {
        out.push_str(&format!("{:<width$}  {v}\n", format!("{k}:")));
    }
    emit(&out)
}

/// A policy in one line of words: rules, who requests, 4-eyes.
pub fn policy_words(p: &deploygov::Policy) -> String {
    let rules: Vec<String> = p
        .approval_rules
        .iter()
        .map(|r| format!("{} approval(s) from {} (rule `{}`)", r.required_approvals, roles(&r.eligible_roles), r.name))
        .collect();
    let mut words = if rules.is_empty() { "no approval".to_owned() } else { rules.join(" + ") };
    for e in &p.risk_escalation {
        words.push_str(&format!(" + {} more from {} at risk {}+", e.extra_approvals, roles(&e.eligible_roles), e.min_risk));
    }
    format!(
        "{words}; requested by {}; executed by {}; 4-eyes {}",
        roles(&p.request_roles),
        roles(&p.execute_roles),
        if p.four_eyes { "on" } else { "off" }
    )
}

/// Role names joined by `/`, or `anyone` for an empty list.
pub fn roles(r: &[String]) -> String {
    if r.is_empty() { "anyone".to_owned() } else { r.join("/") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns() {
        let mut t = Table::new(&["a", "long name"]);
        t.row(vec!["xyz".into(), "1".into()]);
        assert_eq!(t.render("none"), "A    LONG NAME\nxyz  1\n");
        assert_eq!(Table::new(&["a"]).render("none"), "none\n");
    }
}
