//! `payrun demo`: the whole product in one command exits 0 and tells its story.

use crate::support::{assert_verified, payrun_in, TempDir};

#[test]
fn the_demo_runs_the_whole_product_and_tells_the_story() {
    let tmp = TempDir::new("demo");
    let run = payrun_in(tmp.path(), &["demo", "--dir", "demo"]);
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    for expected in [
        "1. A new database and the company's payment formats",
        "lines failed validation and will not be sent:",
        "deadline-passed",
        "collective payment 100100-20260601: lines",
        "6. Export: the delivery files for Mastercard",
        "Exporting again sends 0 files",
        "The bank reports",
        "rejected by the debtor:",
        "is now Rejected; journal line",
        "(!) Unsubscribed (0237)",
        "charged back by the debtor's bank:",
        "paid a different amount:",
        "11. Post the journal",
        "Posted ",
        "stays error until a person has seen to its last (!) line",
        "ok    I1 journal lines balance",
    ] {
        assert!(
            run.stdout.contains(expected),
            "{expected:?} is not in the demo's story:\n{}",
            run.stdout
        );
    }
    assert!(!run.stdout.contains("FAIL"), "{}", run.stdout);
    let demo = tmp.path().join("demo");
    assert_verified(&demo);

    // Again in the same directory: the earlier demo is cleared, the story is the same.
    let again = payrun_in(tmp.path(), &["demo", "--dir", "demo"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.stdout, run.stdout);

    // A directory with other files is never overwritten.
    let other = tmp.path().join("mine");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "mine").unwrap();
    let refused = payrun_in(tmp.path(), &["demo", "--dir", "mine"]);
    assert_eq!(refused.code, 2);
    assert!(
        refused
            .stderr
            .contains("is not empty and holds no earlier demo"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        std::fs::read_to_string(other.join("notes.txt")).unwrap(),
        "mine"
    );
}
