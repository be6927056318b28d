//! What every Betalingsservice delivery shares: the BS002 delivery start, BS012/BS092 section
//! brackets, the BS992 delivery end and their control totals (formats.md §1–§2, §8.4–§8.5).
//!
//! [`read_sections`] drives the record loop of 0601, 0602 and 0603; each delivery type plugs in
//! a [`SectionReader`] that knows its section-start fields and payload records.

use chrono::NaiveDate;

use super::error::{quoted, ParseError, RenderError};
use super::reader::{DateLayout, Lines, Origin, Record};
use super::writer::Writer;

/// The fields of a BS002 delivery start record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BsStart {
    pub line: usize,
    pub data_supplier_cvr: String,
    pub system_code: String,
    pub delivery_type: String,
    pub delivery_id: u64,
    pub created: Option<NaiveDate>,
}

/// Reads a BS002 record (the caller has seen `BS002` at 1–5).
pub(crate) fn parse_start(record: &Record) -> Result<BsStart, ParseError> {
    Ok(BsStart {
        line: record.line,
        data_supplier_cvr: record.digits(6, 13, "data supplier no.")?,
        system_code: record.text(14, 16),
        delivery_type: record.digits(17, 20, "delivery type")?,
        delivery_id: record.number(21, 30, "delivery id")?,
        created: record.date(50, DateLayout::Ddmmyy, "creation date")?,
    })
}

/// Counts and amount of a section or a whole delivery, as the BS092/BS992 records carry them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub n022: u64,
    pub n042: u64,
    pub n052: u64,
    pub amount: u128,
}

impl Counts {
    pub(crate) fn add(&mut self, other: Counts) {
        self.n022 += other.n022;
        self.n042 += other.n042;
        self.n052 += other.n052;
        self.amount += other.amount;
    }
}

/// The identity of an open section, from its BS012 record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SectionId {
    pub line: usize,
    pub creditor_pbs: String,
    pub section: String,
    pub debtor_group: String,
}

impl SectionId {
    pub(crate) fn origin(&self) -> Origin {
        Origin {
            what: "section start",
            line: self.line,
        }
    }

    /// Checks the PBS number (6–13) and the debtor group of a payload record.
    pub(crate) fn check_member(
        &self,
        record: &Record,
        group: (usize, usize),
    ) -> Result<(), ParseError> {
        record.expect_same(6, 13, "PBS no.", &self.creditor_pbs, self.origin())?;
        record.expect_same(
            group.0,
            group.1,
            "debtor group",
            &self.debtor_group,
            self.origin(),
        )
    }
}

/// How one delivery type reads the inside of its sections.
pub(crate) trait SectionReader: Sized {
    type Output;
    /// Position of the debtor group in BS012, BS092 and payload records.
    const GROUP: (usize, usize);
    /// What the BS092/BS992 amount is, for messages.
    const AMOUNT_MEANING: &'static str;

    /// Reads the type-specific fields of a BS012 record; refuses unknown sections (0603 keeps
    /// them as skipped sections instead).
    fn start(id: SectionId, record: &Record) -> Result<Self, ParseError>;
    /// Reads one BS022/BS042/BS052 record of the section.
    fn record(&mut self, record: &Record) -> Result<(), ParseError>;
    /// What the BS092 must say about the records read so far.
    fn counts(&self) -> Counts;
    /// Closes the section at its BS092 record.
    fn finish(self, end: &Record) -> Result<Self::Output, ParseError>;
}

/// Reads every section after a BS002 up to and including the BS992, checking the brackets and
/// every control total; refuses anything after the BS992.
pub(crate) fn read_sections<R: SectionReader>(
    lines: &mut Lines<'_>,
    start: &BsStart,
) -> Result<Vec<R::Output>, ParseError> {
    let mut sections = Vec::new();
    let mut open: Option<(SectionId, R)> = None;
    let mut totals = Counts::default();
    loop {
        let record = match lines.next() {
            Some(record) => record?,
            None => {
                let expected = match &open {
                    Some((id, _)) => format!(
                        "a BS092 record closing the section of line {}, then a BS992 record",
                        id.line
                    ),
                    None => "a BS992 record".to_string(),
                };
                return Err(ParseError::new(
                    lines.eof_line(),
                    1,
                    "delivery end",
                    "end of file",
                    expected,
                ));
            }
        };
        match record.bytes(1, 5) {
            b"BS012" => {
                if let Some((id, _)) = &open {
                    return Err(record.error(
                        1,
                        "section end",
                        "a BS012 record",
                        format!("a BS092 record closing the section of line {}", id.line),
                    ));
                }
                let id = SectionId {
                    line: record.line,
                    creditor_pbs: record.digits(6, 13, "PBS no.")?,
                    section: record.digits(14, 17, "section")?,
                    debtor_group: record.digits(R::GROUP.0, R::GROUP.1, "debtor group")?,
                };
                let reader = R::start(id.clone(), &record)?;
                open = Some((id, reader));
            }
            b"BS022" | b"BS042" | b"BS052" => match open.as_mut() {
                Some((_, reader)) => reader.record(&record)?,
                None => {
                    return Err(record.error(
                        1,
                        "section",
                        format!("a {} record outside a section", record.text(1, 5)),
                        "a BS012 section start before it",
                    ))
                }
            },
            b"BS092" => {
                let Some((id, reader)) = open.take() else {
                    return Err(record.error(
                        1,
                        "section end",
                        "a BS092 record without a section start",
                        "a BS012 record before it",
                    ));
                };
                record.expect_same(6, 13, "PBS no.", &id.creditor_pbs, id.origin())?;
                record.expect_same(14, 17, "section", &id.section, id.origin())?;
                record.expect_same(
                    R::GROUP.0,
                    R::GROUP.1,
                    "debtor group",
                    &id.debtor_group,
                    id.origin(),
                )?;
                let counts = reader.counts();
                let output = reader.finish(&record)?;
                check_counts(&record, counts, "in the section", R::AMOUNT_MEANING)?;
                totals.add(counts);
                sections.push(output);
            }
            b"BS992" => {
                if let Some((id, _)) = &open {
                    return Err(record.error(
                        1,
                        "section end",
                        "a BS992 record",
                        format!("a BS092 record closing the section of line {}", id.line),
                    ));
                }
                check_end(&record, start, sections.len() as u64, totals)?;
                lines.expect_end(&record, "BS992")?;
                return Ok(sections);
            }
            b"BS002" => {
                return Err(record.error(
                    1,
                    "delivery start",
                    format!(
                        "a second BS002 record (the first is on line {})",
                        start.line
                    ),
                    "one delivery per file",
                ))
            }
            other => {
                return Err(record.error(
                    1,
                    "record type",
                    quoted(other),
                    "BS012, BS022, BS042, BS052, BS092 or BS992",
                ))
            }
        }
    }
}

/// Checks the counts of a BS092 or BS992 record (same positions in both).
fn check_counts(
    record: &Record,
    counts: Counts,
    scope: &str,
    amount_meaning: &str,
) -> Result<(), ParseError> {
    record.expect_count(
        32,
        42,
        "number of 042 records",
        u128::from(counts.n042),
        &format!("the number of 042 records {scope}"),
    )?;
    record.expect_count(43, 57, "amount", counts.amount, amount_meaning)?;
    record.expect_count(
        58,
        68,
        "number of 052 records",
        u128::from(counts.n052),
        &format!("the number of 052 records {scope}"),
    )?;
    record.expect_count(
        84,
        94,
        "number of 022 records",
        u128::from(counts.n022),
        &format!("the number of 022 records {scope}"),
    )
}

/// Checks a BS992 against its BS002 and the sections read.
fn check_end(
    record: &Record,
    start: &BsStart,
    sections: u64,
    totals: Counts,
) -> Result<(), ParseError> {
    let origin = Origin {
        what: "BS002 record",
        line: start.line,
    };
    record.expect_same(6, 13, "data supplier no.", &start.data_supplier_cvr, origin)?;
    if record.text(14, 16) != start.system_code {
        return Err(record.error(
            14,
            "system code",
            quoted(record.bytes(14, 16)),
            format!("'{}' as {origin}", start.system_code),
        ));
    }
    record.expect_same(17, 20, "delivery type", &start.delivery_type, origin)?;
    record.expect_count(
        21,
        31,
        "number of sections",
        u128::from(sections),
        "the number of sections in the delivery",
    )?;
    check_counts(
        record,
        totals,
        "in the delivery",
        "the sum of the sections' BS092 amounts",
    )
}

/// Writes a BS002 record.
pub(crate) fn write_start(w: &mut Writer, start: &BsStart) -> Result<(), RenderError> {
    let mut line = w.line("BS002");
    line.fixed(1, "BS002");
    line.digits(6, 13, "data supplier no.", &start.data_supplier_cvr)?;
    line.text(14, 16, "system code", &start.system_code)?;
    line.digits(17, 20, "delivery type", &start.delivery_type)?;
    line.number(21, 30, "delivery id", u128::from(start.delivery_id))?;
    line.date(50, DateLayout::Ddmmyy, "creation date", start.created)?;
    w.push(line);
    Ok(())
}

/// Writes a BS092 record. `group` is the debtor group's position (0601: 23–27, else 21–25);
/// the positions between the section code and the group are zeros.
pub(crate) fn write_section_end(
    w: &mut Writer,
    id: &SectionId,
    group: (usize, usize),
    counts: Counts,
) -> Result<(), RenderError> {
    let mut line = w.line("BS092");
    line.fixed(1, "BS092");
    line.digits(6, 13, "PBS no.", &id.creditor_pbs)?;
    line.digits(14, 17, "section", &id.section)?;
    line.number(18, group.0 - 1, "filler", 0)?;
    line.digits(group.0, group.1, "debtor group", &id.debtor_group)?;
    write_counts(&mut line, counts)?;
    w.push(line);
    Ok(())
}

fn write_counts(line: &mut super::writer::Line, counts: Counts) -> Result<(), RenderError> {
    line.number(32, 42, "number of 042 records", u128::from(counts.n042))?;
    line.number(43, 57, "amount", counts.amount)?;
    line.number(58, 68, "number of 052 records", u128::from(counts.n052))?;
    line.number(84, 94, "number of 022 records", u128::from(counts.n022))
}

/// Writes a BS992 record.
pub(crate) fn write_end(
    w: &mut Writer,
    start: &BsStart,
    sections: u64,
    totals: Counts,
) -> Result<(), RenderError> {
    let mut line = w.line("BS992");
    line.fixed(1, "BS992");
    line.digits(6, 13, "data supplier no.", &start.data_supplier_cvr)?;
    line.text(14, 16, "system code", &start.system_code)?;
    line.digits(17, 20, "delivery type", &start.delivery_type)?;
    line.number(21, 31, "number of sections", u128::from(sections))?;
    write_counts(&mut line, totals)?;
    line.number(69, 83, "filler", 0)?;
    line.number(95, 128, "filler", 0)?;
    w.push(line);
    Ok(())
}
