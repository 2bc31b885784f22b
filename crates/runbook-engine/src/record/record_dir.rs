//! The record directory and its files, kept private: an incident record
//! holds probe output. The directory is created `0700` and its files `0600`.
//! It is opened once, without following a symbolic link, and every file in
//! it is created, opened, renamed and removed relative to that open
//! directory: swapping the directory for a link after it was checked
//! changes nothing. Files are created exclusively and never through a
//! link, so that someone who can write to a shared parent directory cannot
//! make a run overwrite another file, or read what it records. A directory
//! that is refused is left exactly as it was.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::Mode;

/// Mode of the record directory: only its owner may list, read or add.
const DIR_MODE: u32 = 0o700;
/// Mode of every record file.
const FILE_MODE: u32 = 0o600;

/// An open record directory.
pub(super) struct RecordDir {
    fd: OwnedFd,
    path: PathBuf,
    /// Whether this process created it (and may remove it again).
    created: bool,
}

impl RecordDir {
    /// Makes `path` ready for a new record: creates it (and its parents)
    /// `0700`, or takes an existing directory that is empty, not a symbolic
    /// link, and owned by this user (then made `0700`). A failure after
    /// creating it removes it again.
    pub(super) fn create(path: &Path) -> io::Result<Self> {
        let path = without_trailing_slashes(path);
        let created = match DirBuilder::new().mode(DIR_MODE).create(&path) {
            Ok(()) => true,
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => false,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                DirBuilder::new().recursive(true).mode(DIR_MODE).create(&path)?;
                true
            }
            Err(error) => return Err(error),
        };
        let accepted = Self::open_owned(&path).and_then(|mut dir| {
            dir.created = created;
            if !created && !dir.is_empty()? {
                return Err(refused(&dir.path, "is not empty: give a new directory for a new record"));
            }
            dir.make_private()?;
            Ok(dir)
        });
        if accepted.is_err() && created {
            let _ = std::fs::remove_dir(&path);
        }
        accepted
    }

    /// Opens the existing record directory `path` (resume, `runbook
    /// record`): a directory, not a symbolic link, owned by this user. Its
    /// mode is left alone until [`RecordDir::make_private`].
    pub(super) fn open_owned(path: &Path) -> io::Result<Self> {
        let path = without_trailing_slashes(path);
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let fd = match nix::fcntl::open(&path, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::ELOOP) => return Err(refused(&path, "is a symbolic link: give the directory itself")),
            Err(Errno::ENOTDIR) if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_symlink()) => {
                return Err(refused(&path, "is a symbolic link: give the directory itself"));
            }
            Err(Errno::ENOTDIR) => return Err(refused(&path, "is not a directory")),
            Err(errno) => return Err(errno.into()),
        };
        let stat = nix::sys::stat::fstat(&fd)?;
        if stat.st_uid != nix::unistd::geteuid().as_raw() {
            return Err(refused(&path, "belongs to another user"));
        }
        Ok(Self { fd, path, created: false })
    }

    /// Removes the directory again if this process created it, after a
    /// failure that leaves it holding nothing.
    pub(super) fn discard(self) {
        if self.created {
            let _ = std::fs::remove_dir(&self.path);
        }
    }

    /// Takes every permission of group and others off the directory (and
    /// its special bits), once it is accepted as a record's: `0700` from
    /// anything more open, never more open than it was (a record made
    /// read-only to keep it as evidence stays so).
    pub(super) fn make_private(&self) -> io::Result<()> {
        let stat = nix::sys::stat::fstat(&self.fd)?;
        let private = stat.st_mode & DIR_MODE;
        if stat.st_mode & 0o7777 != private {
            nix::sys::stat::fchmod(&self.fd, Mode::from_bits_truncate(private))?;
        }
        Ok(())
    }

    /// The directory's path, as given (without trailing slashes).
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    fn is_empty(&self) -> io::Result<bool> {
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        let mut listing = nix::dir::Dir::openat(&self.fd, ".", flags, Mode::empty())?;
        for entry in listing.iter() {
            if !matches!(entry?.file_name().to_bytes(), b"." | b"..") {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Opens `name` in the directory with `flags` (never through a link).
    fn open_at(&self, name: &str, flags: OFlag, mode: u32) -> io::Result<File> {
        let flags = flags | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let fd = nix::fcntl::openat(&self.fd, name, flags, Mode::from_bits_truncate(mode))
            .map_err(|errno| not_a_link(&self.path.join(name), errno.into()))?;
        Ok(File::from(fd))
    }

    /// Creates `name` as a new file (`0600`) to append to, failing if
    /// anything, a link included, is there already.
    pub(super) fn create_new(&self, name: &str) -> io::Result<File> {
        self.open_at(name, OFlag::O_WRONLY | OFlag::O_APPEND | OFlag::O_CREAT | OFlag::O_EXCL, FILE_MODE)
    }

    /// Opens the existing regular file `name` to read it and append to it.
    pub(super) fn open_existing(&self, name: &str) -> io::Result<File> {
        let file = self.open_at(name, OFlag::O_RDWR | OFlag::O_APPEND | OFlag::O_NONBLOCK, 0)?;
        crate::regular_file::require_regular(file)
    }

    /// Opens the existing regular file `name` to read it.
    pub(super) fn open_to_read(&self, name: &str) -> io::Result<File> {
        let file = self.open_at(name, OFlag::O_RDONLY | OFlag::O_NONBLOCK, 0)?;
        crate::regular_file::require_regular(file)
    }

    /// Syncs the directory, so that a file created in it survives a crash.
    pub(super) fn sync(&self) -> io::Result<()> {
        Ok(nix::unistd::fsync(&self.fd)?)
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        Ok(nix::fcntl::renameat(&self.fd, from, &self.fd, to)?)
    }

    pub(super) fn remove(&self, name: &str) -> io::Result<()> {
        Ok(nix::unistd::unlinkat(&self.fd, name, nix::unistd::UnlinkatFlags::NoRemoveDir)?)
    }

    /// Writes two files that must stay in step (`record.json` and
    /// `record.md`): both are written to temporary files first (see
    /// [`RecordDir::create_new`]), synced, then renamed, so a crash leaves
    /// the old file or the new one, never half of one; when the second
    /// rename fails, the first file's old content is put back. Each file's
    /// content is written by its function straight into the file, so that
    /// a large record is never held whole in memory. An error names the
    /// file it is about.
    pub(super) fn write_pair(
        &self,
        first: (&str, impl FnOnce(&mut dyn Write) -> io::Result<()>),
        second: (&str, impl FnOnce(&mut dyn Write) -> io::Result<()>),
    ) -> io::Result<()> {
        let first_temporary = self.write_temporary(first.0, first.1).map_err(|e| self.named(first.0, &e))?;
        let second_temporary = match self.write_temporary(second.0, second.1).map_err(|e| self.named(second.0, &e)) {
            Ok(temporary) => temporary,
            Err(error) => {
                let _ = self.remove(&first_temporary);
                return Err(error);
            }
        };
        // The first file's old content, kept under a temporary name until
        // the second file is in place.
        let backup = format!(".{}.{}.old.tmp", first.0, std::process::id());
        let _ = self.remove(&backup);
        let had_first = nix::unistd::linkat(&self.fd, first.0, &self.fd, backup.as_str(), AtFlags::empty()).is_ok();
        let renamed = self.rename(&first_temporary, first.0).map_err(|e| self.named(first.0, &e)).and_then(|()| {
            self.rename(&second_temporary, second.0).map_err(|error| {
                if had_first {
                    let _ = self.rename(&backup, first.0);
                } else {
                    let _ = self.remove(first.0);
                }
                self.named(second.0, &error)
            })
        });
        for leftover in [&first_temporary, &second_temporary, &backup] {
            let _ = self.remove(leftover);
        }
        renamed?;
        self.sync()
    }

    /// `error`, saying which file of the directory it is about.
    fn named(&self, name: &str, error: &io::Error) -> io::Error {
        io::Error::new(error.kind(), format!("{}: {error}", self.path.join(name).display()))
    }

    /// The name of a new temporary file in the directory holding what
    /// `contents` writes, synced.
    fn write_temporary(
        &self,
        name: &str,
        contents: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<String> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let (temporary, file) = loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let temporary = format!(".{name}.{}.{n}.tmp", std::process::id());
            match self.create_new(&temporary) {
                Ok(file) => break (temporary, file),
                // Left by another process, or planted: never reused.
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists && n < 1000 => {}
                Err(error) => return Err(error),
            }
        };
        let mut out = io::BufWriter::new(file);
        let written = contents(&mut out)
            .and_then(|()| out.into_inner().map_err(io::IntoInnerError::into_error))
            .and_then(|file| file.sync_all());
        if let Err(error) = written {
            let _ = self.remove(&temporary);
            return Err(error);
        }
        Ok(temporary)
    }

    /// Removes the temporary files of [`RecordDir::write_pair`] that a
    /// process killed while writing left behind: those whose process (its
    /// id is in the name) no longer runs. Called while the journal is held,
    /// so no other runbook process writes this record.
    pub(super) fn remove_stale_temporaries(&self) -> io::Result<()> {
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        let mut listing = nix::dir::Dir::openat(&self.fd, ".", flags, Mode::empty())?;
        let stale: Vec<String> = listing
            .iter()
            .filter_map(Result::ok)
            .filter_map(|entry| entry.file_name().to_str().ok().map(str::to_owned))
            .filter(|name| temporary_owner(name).is_some_and(|pid| !running(pid)))
            .collect();
        for name in stale {
            self.remove(&name)?;
        }
        Ok(())
    }

    /// Refuses the journal `name` while another process holds it (a run or
    /// a resume still going): its record would be rebuilt as interrupted
    /// while it goes on. The lock is waited for a moment: a run killed just
    /// now may have been starting a command, whose copy of the journal's
    /// descriptor lives until that command is executed.
    pub(super) fn check_not_in_use(&self, name: &str) -> io::Result<()> {
        const PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);
        let file = self.open_at(name, OFlag::O_RDONLY | OFlag::O_NONBLOCK, 0)?;
        let file = crate::regular_file::require_regular(file)?;
        let started = std::time::Instant::now();
        while file.try_lock_shared().is_err() {
            if started.elapsed() > PATIENCE {
                let message = format!(
                    "{} is in use: the run is still going (wait for it, or stop it first)",
                    self.path.join(name).display()
                );
                return Err(io::Error::new(io::ErrorKind::WouldBlock, message));
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Ok(())
    }
}

/// The id of the process that wrote the temporary record file `name`
/// (`.record.json.PID.N.tmp`, `.record.json.PID.old.tmp`), or `None` for
/// any other name.
fn temporary_owner(name: &str) -> Option<i32> {
    let middle = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let rest = ["record.json.", "record.md."].iter().find_map(|prefix| middle.strip_prefix(prefix))?;
    let (pid, suffix) = rest.split_once('.')?;
    let numbered = suffix == "old" || (!suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit()));
    numbered.then(|| pid.parse().ok()).flatten()
}

/// Whether the process `pid` exists (one of another user counts).
fn running(pid: i32) -> bool {
    pid == nix::unistd::getpid().as_raw()
        || !matches!(nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None), Err(Errno::ESRCH))
}

/// `path` without trailing slashes: `link/` would make the kernel follow
/// the link `link`.
fn without_trailing_slashes(path: &Path) -> PathBuf {
    let bytes = path.as_os_str().as_bytes();
    let end = bytes.iter().rposition(|byte| *byte != b'/').map_or(bytes.len().min(1), |last| last + 1);
    PathBuf::from(std::ffi::OsStr::from_bytes(&bytes[..end]))
}

fn refused(dir: &Path, why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("the record directory `{}` {why}", dir.display()))
}

/// Reads the existing file `path`, refusing a symbolic link: a record is
/// built from the journal in its own directory, never from a file a link
/// planted there points to. A FIFO or device is refused too, instead of
/// waiting forever for it.
pub(super) fn read_existing(path: &Path) -> io::Result<Vec<u8>> {
    let mut file = crate::regular_file::open(OpenOptions::new().read(true), path, nix::libc::O_NOFOLLOW)
        .map_err(|e| not_a_link(path, e))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn not_a_link(path: &Path, error: io::Error) -> io::Error {
    if error.raw_os_error() == Some(nix::libc::ELOOP) {
        io::Error::new(io::ErrorKind::InvalidInput, format!("`{}` is a symbolic link", path.display()))
    } else {
        error
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("runbook-record-dir-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn a_new_record_is_private() {
        let base = scratch("private");
        let dir = RecordDir::create(&base.join("nested/rec")).unwrap();
        assert_eq!(mode(dir.path()), DIR_MODE);
        dir.create_new("journal.jsonl").unwrap();
        dir.write_pair(
            ("record.json", |out: &mut dyn Write| out.write_all(b"{}")),
            ("record.md", |out: &mut dyn Write| out.write_all(b"# record")),
        )
        .unwrap();
        let file_modes = (mode(&dir.path().join("journal.jsonl")), mode(&dir.path().join("record.json")));
        assert_eq!(file_modes, (FILE_MODE, FILE_MODE));
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 3, "no temporary file is left: {names:?}");
        std::fs::remove_dir_all(base).unwrap();
    }

    #[test]
    fn links_and_used_directories_are_refused_and_left_as_they_were() {
        let base = scratch("links");
        std::fs::create_dir_all(base.join("used")).unwrap();
        std::fs::set_permissions(base.join("used"), std::fs::Permissions::from_mode(0o1777)).unwrap();
        std::fs::write(base.join("used/other"), b"x").unwrap();
        std::fs::write(base.join("victim"), b"keep").unwrap();
        std::fs::create_dir(base.join("empty")).unwrap();
        std::fs::set_permissions(base.join("empty"), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::symlink(base.join("used"), base.join("link")).unwrap();
        std::os::unix::fs::symlink(base.join("empty"), base.join("empty-link")).unwrap();
        let refusal = |path: PathBuf| RecordDir::create(&path).err().unwrap().to_string();
        assert!(refusal(base.join("used")).contains("is not empty"));
        assert_eq!(mode(&base.join("used")), 0o1777, "a refused directory keeps its mode");
        assert!(refusal(base.join("link")).contains("symbolic link"));
        for trailing in ["empty-link/", "empty-link//"] {
            assert!(refusal(base.join(trailing)).contains("symbolic link"), "{trailing}");
        }
        assert_eq!(mode(&base.join("empty")), 0o755);
        assert!(refusal(base.join("victim")).contains("not a directory"));
        let rec = RecordDir::create(&base.join("rec")).unwrap();
        std::os::unix::fs::symlink(base.join("victim"), base.join("rec/journal.jsonl")).unwrap();
        assert!(rec.create_new("journal.jsonl").is_err());
        assert!(rec.open_existing("journal.jsonl").unwrap_err().to_string().contains("symbolic link"));
        assert_eq!(std::fs::read(base.join("victim")).unwrap(), b"keep");
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn a_directory_swapped_for_a_link_after_it_was_opened_is_not_written_through() {
        let base = scratch("swapped");
        std::fs::create_dir_all(base.join("elsewhere")).unwrap();
        let dir = RecordDir::create(&base.join("rec")).unwrap();
        std::fs::rename(base.join("rec"), base.join("moved")).unwrap();
        std::os::unix::fs::symlink(base.join("elsewhere"), base.join("rec")).unwrap();
        dir.create_new("journal.jsonl").unwrap();
        dir.write_pair(
            ("record.json", |out: &mut dyn Write| out.write_all(b"{}")),
            ("record.md", |out: &mut dyn Write| out.write_all(b"# record")),
        )
        .unwrap();
        assert_eq!(std::fs::read_dir(base.join("elsewhere")).unwrap().count(), 0);
        assert_eq!(std::fs::read_dir(base.join("moved")).unwrap().count(), 3);
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn a_planted_temporary_file_is_not_followed() {
        let base = scratch("planted");
        let dir = RecordDir::create(&base).unwrap();
        let victim = scratch("planted-victim");
        std::fs::write(&victim, b"keep").unwrap();
        for n in 0..3 {
            let planted = base.join(format!(".record.md.{}.{n}.tmp", std::process::id()));
            std::os::unix::fs::symlink(&victim, planted).unwrap();
        }
        dir.write_pair(
            ("record.json", |out: &mut dyn Write| out.write_all(b"{}")),
            ("record.md", |out: &mut dyn Write| out.write_all(b"# record")),
        )
        .unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        assert_eq!(std::fs::read(base.join("record.md")).unwrap(), b"# record");
        std::fs::remove_dir_all(&base).unwrap();
        std::fs::remove_file(&victim).unwrap();
    }

    #[test]
    fn temporary_files_of_processes_that_are_gone_are_removed() {
        let base = scratch("stale");
        let dir = RecordDir::create(&base).unwrap();
        let mut gone = std::process::Command::new("true").spawn().unwrap();
        gone.wait().unwrap();
        let gone = gone.id();
        let own = std::process::id();
        let names = [
            format!(".record.json.{gone}.0.tmp"),
            format!(".record.md.{gone}.3.tmp"),
            format!(".record.json.{gone}.old.tmp"),
            format!(".record.json.{own}.0.tmp"),
            format!(".notes.{gone}.0.tmp"),
        ];
        for name in &names {
            std::fs::write(base.join(name), b"x").unwrap();
        }
        dir.remove_stale_temporaries().unwrap();
        let mut left: Vec<_> =
            std::fs::read_dir(&base).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        let mut kept = [names[3].clone(), names[4].clone()];
        kept.sort();
        assert_eq!(left, kept);
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn trailing_slashes_are_dropped_but_the_root_stays() {
        assert_eq!(without_trailing_slashes(Path::new("a/b//")), Path::new("a/b"));
        assert_eq!(without_trailing_slashes(Path::new("/")), Path::new("/"));
        assert_eq!(without_trailing_slashes(Path::new("rec")), Path::new("rec"));
    }
}
