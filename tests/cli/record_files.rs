//! The record directory on disk: private modes, no link followed, no
//! directory in use taken over, nothing temporary left behind.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use crate::Test;

const RUNBOOK: &str = "id: x\ntitle: x\nsteps:\n  - id: out\n    check: { cmd: { argv: [echo, probe output] } }\n  - id: end\n    conclude: { status: resolved }\n";

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path).unwrap().permissions().mode() & 0o777
}

fn run_into(dir: &str) -> Test {
    Test::new().files(&[("runbook.yaml", RUNBOOK.as_bytes())]).args([
        "run",
        "runbook.yaml",
        "--non-interactive",
        "--record-dir",
        dir,
    ])
}

#[test]
fn the_record_directory_is_private_and_holds_no_temporary_file() {
    let output = run_into("nested/rec").status(0);
    let dir = output.path("nested/rec");
    assert_eq!(mode(&dir), 0o700);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            assert_eq!(mode(&path), 0o600, "{}", path.display());
            path.file_name().unwrap().to_string_lossy().into_owned()
        })
        .collect();
    names.sort();
    assert_eq!(names, ["journal.jsonl", "record.json", "record.md"]);
}

#[test]
fn an_empty_directory_of_ours_is_used_and_made_private() {
    let output = run_into("rec").prepare(|dir| std::fs::create_dir(dir.join("rec")).unwrap()).status(0);
    assert_eq!(mode(&output.path("rec")), 0o700);
}

#[test]
fn a_symlinked_record_directory_is_refused() {
    let output = run_into("rec")
        .prepare(|dir| {
            std::fs::create_dir(dir.join("elsewhere")).unwrap();
            symlink(dir.join("elsewhere"), dir.join("rec")).unwrap();
        })
        .status(1)
        .stderr_contains("is a symbolic link");
    assert_eq!(std::fs::read_dir(output.path("elsewhere")).unwrap().count(), 0, "nothing written through the link");
}

#[test]
fn a_directory_holding_other_files_is_refused_and_a_planted_link_is_not_followed() {
    let output = run_into("rec")
        .prepare(|dir| {
            std::fs::create_dir(dir.join("rec")).unwrap();
            std::fs::write(dir.join("victim"), "keep").unwrap();
            symlink(dir.join("victim"), dir.join("rec/journal.jsonl")).unwrap();
            symlink(dir.join("victim"), dir.join("rec/.record.md.tmp")).unwrap();
        })
        .status(1)
        .stderr_contains("is not empty");
    assert_eq!(std::fs::read_to_string(output.path("victim")).unwrap(), "keep");
}

/// A directory that is refused is left as it was: a shared drop directory
/// given by mistake keeps its mode (sticky bit included), for `run`,
/// `record` and `resume` alike. Only a directory that is used is made 0700.
#[test]
fn a_refused_record_directory_keeps_its_mode() {
    let full_mode = |path: &Path| std::fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777;
    let output = run_into("shared")
        .prepare(|dir| {
            std::fs::create_dir(dir.join("shared")).unwrap();
            std::fs::write(dir.join("shared/f"), "theirs").unwrap();
            std::fs::set_permissions(dir.join("shared"), std::fs::Permissions::from_mode(0o1777)).unwrap();
        })
        .status(1)
        .stderr_contains("is not empty");
    let shared = output.path("shared");
    assert_eq!(full_mode(&shared), 0o1777);
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
    Test::new().args(["record", shared.to_str().unwrap()]).status(1);
    assert_eq!(full_mode(&shared), 0o755, "`record` without a journal changed the mode");
    Test::new().args(["resume", shared.to_str().unwrap(), "--non-interactive"]).status(1);
    assert_eq!(full_mode(&shared), 0o755, "`resume` without a journal changed the mode");
    std::fs::write(shared.join("journal.jsonl"), "").unwrap();
    Test::new().args(["record", shared.to_str().unwrap()]).status(1).stderr_contains("holds no run");
    assert_eq!(full_mode(&shared), 0o755, "`record` of a journal holding no run changed the mode");
}

#[test]
fn resume_refuses_a_journal_that_is_a_link() {
    let waiting = "id: x\ntitle: x\nsteps:\n  - id: q\n    ask: { question: Go on?, type: confirm }\n  - id: end\n    conclude: { status: resolved }\n";
    let first = Test::new()
        .files(&[("runbook.yaml", waiting.as_bytes())])
        .args(["run", "runbook.yaml", "--non-interactive", "--record-dir", "rec"])
        .status(5);
    let rec = first.path("rec");
    let moved = first.path("real-journal.jsonl");
    std::fs::rename(rec.join("journal.jsonl"), &moved).unwrap();
    symlink(&moved, rec.join("journal.jsonl")).unwrap();
    let before = std::fs::read(&moved).unwrap();
    Test::new()
        .args(["resume".as_ref(), rec.as_os_str(), "--non-interactive".as_ref(), "--answer".as_ref(), "q=yes".as_ref()])
        .status(1)
        .stderr_contains("symbolic link");
    assert_eq!(std::fs::read(&moved).unwrap(), before);
}

/// `runbook record DIR` writes into a directory that exists already: it
/// makes the same checks as `resume` before writing anything there.
#[test]
fn record_refuses_a_linked_directory_a_linked_or_fifo_journal_and_another_users_directory() {
    let first = run_into("rec").status(0);
    let rec = first.path("rec");
    for name in ["record.json", "record.md"] {
        std::fs::remove_file(rec.join(name)).unwrap();
    }
    let linked = first.path("linked");
    symlink(&rec, &linked).unwrap();
    Test::new().args(["record".as_ref(), linked.as_os_str()]).status(1).stderr_contains("is a symbolic link");
    assert!(!rec.join("record.md").exists(), "nothing written through the link");

    let moved = first.path("real-journal.jsonl");
    std::fs::rename(rec.join("journal.jsonl"), &moved).unwrap();
    symlink(&moved, rec.join("journal.jsonl")).unwrap();
    Test::new().args(["record".as_ref(), rec.as_os_str()]).status(1).stderr_contains("symbolic link");
    assert!(!rec.join("record.md").exists(), "no record built from a linked journal");
    std::fs::remove_file(rec.join("journal.jsonl")).unwrap();

    // A FIFO would block the read forever: refused at once.
    assert!(std::process::Command::new("mkfifo").arg(rec.join("journal.jsonl")).status().unwrap().success());
    Test::new().args(["record".as_ref(), rec.as_os_str()]).status(1).stderr_contains("not a regular file");
    assert!(!rec.join("record.md").exists(), "no record built from a FIFO");
    std::fs::remove_file(rec.join("journal.jsonl")).unwrap();
    std::fs::rename(&moved, rec.join("journal.jsonl")).unwrap();

    // A directory of another user: as root, give ours away; otherwise `/`
    // is one (root's).
    let foreign = if nix::unistd::geteuid().is_root() {
        nix::unistd::chown(&rec, Some(nix::unistd::Uid::from_raw(65_534)), None).unwrap();
        rec.clone()
    } else {
        std::path::PathBuf::from("/")
    };
    Test::new().args(["record".as_ref(), foreign.as_os_str()]).status(1).stderr_contains("belongs to another user");
    assert!(!rec.join("record.md").exists());
    if foreign == rec {
        nix::unistd::chown(&rec, Some(nix::unistd::geteuid()), None).unwrap();
        Test::new().args(["record".as_ref(), rec.as_os_str()]).status(0);
        assert!(rec.join("record.md").exists(), "rebuilt once the directory is ours again");
    }
}

#[test]
fn record_refuses_an_empty_journal_or_a_running_one_and_keeps_the_pair_in_step() {
    let first = run_into("rec").status(0);
    let rec = first.path("rec");
    let record = |dir: &std::path::Path| Test::new().args(["record".as_ref(), dir.as_os_str()]);
    let read = |name: &str| std::fs::read_to_string(rec.join(name)).unwrap();
    let (json, md) = (read("record.json"), read("record.md"));
    let journal = read("journal.jsonl");

    // A journal that holds no run would replace a good record with an empty one.
    std::fs::write(rec.join("journal.jsonl"), "").unwrap();
    record(&rec).status(1).stderr_contains("holds no run");
    assert_eq!((read("record.json"), read("record.md")), (json.clone(), md.clone()), "the old record is kept");
    std::fs::write(rec.join("journal.jsonl"), &journal).unwrap();

    // A run still going holds its journal.
    let held = std::fs::File::open(rec.join("journal.jsonl")).unwrap();
    held.lock().unwrap();
    record(&rec).status(1).stderr_contains("the run is still going");
    drop(held);

    // record.md cannot be replaced: the error names it, record.json is not
    // left out of step with it.
    std::fs::remove_file(rec.join("record.md")).unwrap();
    std::fs::create_dir(rec.join("record.md")).unwrap();
    std::fs::write(rec.join("record.json"), "old\n").unwrap();
    record(&rec).status(1).stderr_contains("record.md: ");
    assert_eq!(read("record.json"), "old\n", "record.json replaced although record.md was not");
    std::fs::remove_dir(rec.join("record.md")).unwrap();
    record(&rec).status(0);
    assert_eq!(read("record.json"), json);
    let leftovers: Vec<_> = std::fs::read_dir(&rec).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 3, "temporary files left: {leftovers:?}");
}

/// `LINK/` names the link's target to the kernel: the trailing slash does
/// not get a link past the refusal.
#[test]
fn a_symlinked_record_directory_with_a_trailing_slash_is_refused() {
    for given in ["rec/", "rec//"] {
        let output = run_into(given)
            .prepare(|dir| {
                std::fs::create_dir(dir.join("elsewhere")).unwrap();
                std::fs::set_permissions(dir.join("elsewhere"), std::fs::Permissions::from_mode(0o755)).unwrap();
                symlink(dir.join("elsewhere"), dir.join("rec")).unwrap();
            })
            .status(1)
            .stderr_contains("is a symbolic link");
        let elsewhere = output.path("elsewhere");
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0, "{given}: written through the link");
        assert_eq!(mode(&elsewhere), 0o755, "{given}: the link's target was changed");
    }
}

/// The temporary record files of a process killed while writing them are
/// removed by the next `runbook record`; those of a process still running
/// are not touched.
#[test]
fn record_removes_the_temporary_files_a_killed_process_left() {
    let first = run_into("rec").status(0);
    let rec = first.path("rec");
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    gone.wait().unwrap();
    let (gone, alive) = (gone.id(), std::process::id());
    let stale = [format!(".record.json.{gone}.0.tmp"), format!(".record.md.{gone}.1.tmp")];
    let live = format!(".record.md.{alive}.0.tmp");
    for name in stale.iter().chain([&live]) {
        std::fs::write(rec.join(name), "partial").unwrap();
    }
    Test::new().args(["record".as_ref(), rec.as_os_str()]).status(0);
    let mut names: Vec<String> =
        std::fs::read_dir(&rec).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, [live.as_str(), "journal.jsonl", "record.json", "record.md"]);
}

/// `runbook render --output DIR` does not write through a link planted in
/// `DIR` under a runbook's name.
#[test]
fn render_does_not_write_through_a_planted_link() {
    let output = Test::new()
        .files(&[("in/runbook.yaml", RUNBOOK.as_bytes())])
        .prepare(|dir| {
            std::fs::create_dir(dir.join("out")).unwrap();
            std::fs::write(dir.join("victim.txt"), "VICTIM\n").unwrap();
            symlink(dir.join("victim.txt"), dir.join("out/x.md")).unwrap();
        })
        .args(["render", "in", "--output", "out"])
        .status(1)
        .stderr_contains("out/x.md`: it is a symbolic link");
    assert_eq!(std::fs::read_to_string(output.path("victim.txt")).unwrap(), "VICTIM\n");
}

/// The test file `--from-record` creates holds the record's probe output:
/// it is as private as the record.
#[test]
fn a_test_file_made_from_a_record_is_private() {
    let first = run_into("rec").status(0);
    Test::new().in_dir(&first.path("")).args(["test", "--from-record", "rec"]).status(0);
    assert_eq!(mode(&first.path("runbook.test.yaml")), 0o600);
}

/// `record` takes permissions off a record directory, never adds any: one
/// made read-only to keep it as evidence stays so, and a more open one is
/// made `0700`. A directory without a journal is refused naming the
/// journal (review-8-attack s7 L3, L4).
#[test]
fn record_never_opens_a_record_directory_up_and_names_a_missing_journal() {
    let output = run_into("rec").status(0);
    let rec = output.path("rec");
    std::fs::set_permissions(&rec, std::fs::Permissions::from_mode(0o500)).unwrap();
    // Refused for lack of permission, or (as root) written: either way the
    // directory stays read-only.
    let record = std::process::Command::new(env!("CARGO_BIN_EXE_runbook")).arg("record").arg(&rec).output().unwrap();
    assert!(!String::from_utf8_lossy(&record.stderr).contains("panicked"));
    assert_eq!(mode(&rec), 0o500, "`record` made a read-only record directory writable");
    std::fs::set_permissions(&rec, std::fs::Permissions::from_mode(0o750)).unwrap();
    Test::new().args(["record", rec.to_str().unwrap()]).status(0);
    assert_eq!(mode(&rec), 0o700);
    let empty = output.path("empty");
    std::fs::create_dir(&empty).unwrap();
    Test::new()
        .args(["record", empty.to_str().unwrap()])
        .status(1)
        .stderr_contains(&format!("cannot read the journal `{}`", empty.join("journal.jsonl").display()));
}
