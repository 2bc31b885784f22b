//! The record directory and its files, kept private: an incident record
//! holds probe output. The directory is created `0700` and its files `0600`;
//! files are created exclusively and never through a symbolic link, so that
//! someone who can write to a shared parent directory cannot make a run
//! overwrite another file, or read what it records.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

/// Mode of the record directory: only its owner may list, read or add.
const DIR_MODE: u32 = 0o700;
/// Mode of every record file.
const FILE_MODE: u32 = 0o600;

/// Makes `dir` ready for a new record: creates it (and its parents) `0700`,
/// or takes an existing directory that is empty, not a symbolic link, and
/// owned by this user (made `0700` once it is known to be usable: a
/// refused directory is left as it was). Returns whether it was created,
/// so that a failure right after can remove it again.
pub(super) fn prepare_new(dir: &Path) -> io::Result<bool> {
    match DirBuilder::new().mode(DIR_MODE).create(dir) {
        Ok(()) => return Ok(true),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)?;
            return Ok(true);
        }
        Err(error) => return Err(error),
    }
    check_ours(dir)?;
    if std::fs::read_dir(dir)?.next().is_some() {
        return Err(refused(dir, "is not empty: give a new directory for a new record"));
    }
    make_private(dir)?;
    Ok(false)
}

/// Checks an existing record directory before using it (resume, record):
/// a directory, not a symbolic link, owned by this user. Changes nothing:
/// see [`make_private`], once the directory is known to hold a record.
pub(super) fn check_ours(dir: &Path) -> io::Result<()> {
    let metadata = std::fs::symlink_metadata(dir)?;
    if metadata.file_type().is_symlink() {
        return Err(refused(dir, "is a symbolic link: give the directory itself"));
    }
    if !metadata.is_dir() {
        return Err(refused(dir, "is not a directory"));
    }
    if metadata.uid() != nix::unistd::geteuid().as_raw() {
        return Err(refused(dir, "belongs to another user"));
    }
    Ok(())
}

/// Makes a record directory `0700`: it holds probe output.
pub(super) fn make_private(dir: &Path) -> io::Result<()> {
    if std::fs::symlink_metadata(dir)?.permissions().mode() & 0o7777 != DIR_MODE {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))?;
    }
    Ok(())
}

fn refused(dir: &Path, why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("the record directory `{}` {why}", dir.display()))
}

/// Creates `path` as a new file (`0600`), failing if anything, a link
/// included, is there already.
pub(super) fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new().append(true).create_new(true).mode(FILE_MODE).custom_flags(nix::libc::O_NOFOLLOW).open(path)
}

/// Opens the existing file `path` to append to it, refusing a symbolic link.
pub(super) fn open_existing(path: &Path) -> io::Result<File> {
    crate::regular_file::open(OpenOptions::new().append(true), path, nix::libc::O_NOFOLLOW)
        .map_err(|e| not_a_link(path, e))
}

/// Reads the existing file `path`, refusing a symbolic link: a record is
/// built from the journal in its own directory, never from a file a link
/// planted there points to. A FIFO or device is refused too, instead of
/// waiting forever for it.
pub(super) fn read_existing(path: &Path) -> io::Result<Vec<u8>> {
    let mut file = crate::regular_file::open(OpenOptions::new().read(true), path, nix::libc::O_NOFOLLOW)
        .map_err(|e| not_a_link(path, e))?;
    let mut bytes = Vec::new();
    io::Read::read_to_end(&mut file, &mut bytes)?;
    Ok(bytes)
}

fn not_a_link(path: &Path, error: io::Error) -> io::Error {
    if error.raw_os_error() == Some(nix::libc::ELOOP) {
        io::Error::new(io::ErrorKind::InvalidInput, format!("`{}` is a symbolic link", path.display()))
    } else {
        error
    }
}

/// Syncs a directory, so that a file created in it survives a crash.
pub(super) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Writes two files that must stay in step (`record.json` and `record.md`):
/// both are written to temporary files first (see [`create_new`]), synced,
/// then renamed, so a crash leaves the old file or the new one, never half
/// of one; when the second
/// rename fails, the first file's old content is put back. An error names
/// the file it is about.
pub(super) fn write_pair(dir: &Path, first: (&str, &[u8]), second: (&str, &[u8])) -> io::Result<()> {
    let first_temporary = write_temporary(dir, first.0, first.1).map_err(|e| named(dir, first.0, &e))?;
    let second_temporary = match write_temporary(dir, second.0, second.1).map_err(|e| named(dir, second.0, &e)) {
        Ok(temporary) => temporary,
        Err(error) => {
            let _ = std::fs::remove_file(&first_temporary);
            return Err(error);
        }
    };
    // The first file's old content, kept under a temporary name until the
    // second file is in place.
    let (first_path, second_path) = (dir.join(first.0), dir.join(second.0));
    let backup = dir.join(format!(".{}.{}.old.tmp", first.0, std::process::id()));
    let _ = std::fs::remove_file(&backup);
    let had_first = std::fs::hard_link(&first_path, &backup).is_ok();
    let renamed = std::fs::rename(&first_temporary, &first_path).map_err(|e| named(dir, first.0, &e)).and_then(|()| {
        std::fs::rename(&second_temporary, &second_path).map_err(|error| {
            if had_first {
                let _ = std::fs::rename(&backup, &first_path);
            } else {
                let _ = std::fs::remove_file(&first_path);
            }
            named(dir, second.0, &error)
        })
    });
    for leftover in [&first_temporary, &second_temporary, &backup] {
        let _ = std::fs::remove_file(leftover);
    }
    renamed?;
    sync_dir(dir)
}

/// `error`, saying which file of `dir` it is about.
fn named(dir: &Path, name: &str, error: &io::Error) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", dir.join(name).display()))
}

/// A new temporary file in `dir` holding `bytes`, synced.
fn write_temporary(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<std::path::PathBuf> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let (temporary, mut file) = loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let temporary = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
        match create_new(&temporary) {
            Ok(file) => break (temporary, file),
            // Left by another process, or planted: never reused.
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists && n < 1000 => {}
            Err(error) => return Err(error),
        }
    };
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(error);
    }
    Ok(temporary)
}

/// Refuses a journal another process holds (a run or a resume still
/// going): its record would be rebuilt as interrupted while it goes on.
/// The lock is waited for a moment: a run killed just now may have been
/// starting a command, whose copy of the journal's descriptor lives until
/// that command is executed.
pub(super) fn check_not_in_use(journal: &Path) -> io::Result<()> {
    const PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);
    let file = crate::regular_file::open(OpenOptions::new().read(true), journal, nix::libc::O_NOFOLLOW)
        .map_err(|e| not_a_link(journal, e))?;
    let started = std::time::Instant::now();
    while file.try_lock_shared().is_err() {
        if started.elapsed() > PATIENCE {
            let message =
                format!("{} is in use: the run is still going (wait for it, or stop it first)", journal.display());
            return Err(io::Error::new(io::ErrorKind::WouldBlock, message));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("runbook-record-dir-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_record_is_private() {
        let base = scratch("private");
        let dir = base.join("nested/rec");
        assert!(prepare_new(&dir).unwrap());
        assert_eq!(mode(&dir), DIR_MODE);
        create_new(&dir.join("journal.jsonl")).unwrap();
        write_pair(&dir, ("record.json", b"{}"), ("record.md", b"# record")).unwrap();
        assert_eq!((mode(&dir.join("journal.jsonl")), mode(&dir.join("record.json"))), (FILE_MODE, FILE_MODE));
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 3, "no temporary file is left: {names:?}");
        std::fs::remove_dir_all(base).unwrap();
    }

    #[test]
    fn links_and_used_directories_are_refused() {
        let base = scratch("links");
        std::fs::create_dir_all(base.join("used")).unwrap();
        std::fs::write(base.join("used/other"), b"x").unwrap();
        std::fs::write(base.join("victim"), b"keep").unwrap();
        std::os::unix::fs::symlink(base.join("used"), base.join("link")).unwrap();
        assert!(prepare_new(&base.join("used")).unwrap_err().to_string().contains("is not empty"));
        assert!(prepare_new(&base.join("link")).unwrap_err().to_string().contains("symbolic link"));
        std::fs::create_dir(base.join("rec")).unwrap();
        std::os::unix::fs::symlink(base.join("victim"), base.join("rec/journal.jsonl")).unwrap();
        assert!(create_new(&base.join("rec/journal.jsonl")).is_err());
        assert!(open_existing(&base.join("rec/journal.jsonl")).unwrap_err().to_string().contains("symbolic link"));
        assert_eq!(std::fs::read(base.join("victim")).unwrap(), b"keep");
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn a_planted_temporary_file_is_not_followed() {
        let dir = scratch("planted");
        prepare_new(&dir).unwrap();
        let victim = scratch("planted-victim");
        std::fs::write(&victim, b"keep").unwrap();
        for n in 0..3 {
            let planted = dir.join(format!(".record.md.{}.{n}.tmp", std::process::id()));
            std::os::unix::fs::symlink(&victim, planted).unwrap();
        }
        write_pair(&dir, ("record.json", b"{}"), ("record.md", b"# record")).unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        assert_eq!(std::fs::read(dir.join("record.md")).unwrap(), b"# record");
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::remove_file(&victim).unwrap();
    }
}
