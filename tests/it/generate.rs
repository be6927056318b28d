//! `payrun generate` writes a workload the normal imports read, and the run agrees with the
//! generator about which entries fail.

use crate::support::{assert_verified, payrun_in, TempDir};

#[test]
fn the_generated_workload_runs_and_fails_exactly_where_it_was_built_to() {
    let dir = TempDir::new("generate");
    let dir = dir.path();
    let now = ["--now", "2026-05-04T09:00"];
    let run = |args: &[&str]| {
        let run = payrun_in(dir, &[&now[..], args].concat());
        assert!(run.code == 0 || run.code == 1, "{args:?}: {}", run.stderr);
        run
    };
    let summary = run(&[
        "--json",
        "generate",
        "--debtors",
        "300",
        "--entries",
        "1500",
        "--out",
        "work",
        "--seed",
        "7",
    ])
    .json();
    assert_eq!(summary["entries"], 1500);
    let failing: u64 = summary["failing"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();

    run(&["init"]);
    for format in summary["formats"].as_array().unwrap() {
        let words: Vec<&str> = format.as_str().unwrap().split(' ').skip(1).collect();
        assert_eq!(run(&words).code, 0);
    }
    for kind in ["debtors", "mandates", "entries"] {
        run(&["import", kind, &format!("work/{kind}.csv")]);
    }
    run(&["suggest"]);

    // A run of more than 1,000 lines: the table lists the first 1,000 failed lines, and the
    // failures are counted per rule as --json has them.
    let validated = run(&["--json", "validate"]).json();
    let lines = validated["lines"].as_array().unwrap();
    assert!(lines.len() > 1000, "{} lines", lines.len());
    let mut per_rule = std::collections::BTreeMap::new();
    for line in lines {
        for error in line["errors"].as_array().unwrap() {
            *per_rule
                .entry(error["code"].as_str().unwrap().to_string())
                .or_insert(0) += 1;
        }
    }
    assert!(!per_rule.is_empty());
    let human = run(&["validate"]).stdout;
    assert!(human.contains("\nFailed lines per rule:\n"), "{human}");
    for (code, count) in &per_rule {
        let noun = if *count == 1 { "line" } else { "lines" };
        assert!(
            human.contains(&format!("\n  {code}: {count} {noun}\n")),
            "{code}: {human}"
        );
    }
    let failed = validated["failed_count"].as_u64().unwrap();
    assert!(
        human.contains(&format!(
            "only the first {} failed lines are listed",
            failed.min(1000)
        )),
        "{human}"
    );

    let collected = run(&["--json", "collect"]).json();
    assert_eq!(collected["deselected"].as_u64().unwrap(), failing);

    // The same seed and clock give the same files.
    run(&[
        "generate",
        "--debtors",
        "300",
        "--entries",
        "1500",
        "--out",
        "again",
        "--seed",
        "7",
    ]);
    for file in ["debtors.csv", "mandates.csv", "entries.csv"] {
        let a = std::fs::read(dir.join("work").join(file)).unwrap();
        let b = std::fs::read(dir.join("again").join(file)).unwrap();
        assert!(a == b, "{file} differs between two runs with the same seed");
    }
    assert_verified(dir);
}
