//! Opening files the engine reads or appends to at run time without ever
//! blocking: a FIFO, a device or `/dev/stdin` given where a file is meant
//! would hang the run past every timeout and deaf to Ctrl-C, so only a
//! regular file is accepted.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Opens `path` with `options` (plus `O_NONBLOCK`, so that opening a FIFO
/// returns at once) and refuses anything but a regular file.
pub fn open(options: &mut OpenOptions, path: &Path, extra_flags: i32) -> io::Result<File> {
    require_regular(options.custom_flags(nix::libc::O_NONBLOCK | extra_flags).open(path)?)
}

/// `file` if it is a regular file; an error saying what it is otherwise.
pub(crate) fn require_regular(file: File) -> io::Result<File> {
    let kind = file.metadata()?.file_type();
    if kind.is_file() {
        return Ok(file);
    }
    let what = if kind.is_fifo() || kind.is_socket() {
        "a FIFO or socket"
    } else if kind.is_dir() {
        "a directory"
    } else {
        "a device"
    };
    Err(io::Error::new(io::ErrorKind::InvalidInput, format!("it is {what}, not a regular file")))
}

/// Reads the regular file `path`, at most `cap` bytes: a larger one is an
/// error rather than memory spent on it.
pub(crate) fn read_capped(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    let file = open(OpenOptions::new().read(true), path, 0)?;
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        let message = format!("it is larger than {cap} bytes");
        return Err(io::Error::new(io::ErrorKind::InvalidData, message));
    }
    Ok(bytes)
}
