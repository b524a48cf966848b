//! A cache file of ours seen as bytes: mapped into memory rather than read. Used for the
//! registry digest, of which a warm run looks at a few dozen scattered records: reading
//! its ~1 MiB whole costs a page fault per 4 KiB of fresh heap (~2 µs each here, ~0.4 ms
//! a run), while a mapping shares the page cache's pages and faults them in 64 KiB at a
//! time, only where it looks. (Resident memory is about the same either way.) Of the
//! compiled index only the head is mapped (header and directory, which every run reads
//! whole to check its checksum): its records are read one by one, as a run needs only a
//! few of them and the kernel's 64 KiB fault-around would keep far more pages resident.
//! On Unix; Windows reads.
//!
//! This is the one place that maps a file, and one of four that use `unsafe` (the
//! others are the allocator, the final `_exit` and the entry point, in the binaries'
//! `src/entry.rs`). A mapping is sound as long as nobody changes the file while it is
//! mapped. Every writer of our cache files ([`crate::index::write_atomic`]) writes a
//! new file and renames it into place, and a mapping keeps the old file's pages, so no
//! run of ours ever changes a mapped file. A foreign process editing our cache in place could change bytes under
//! us (which are bounds-checked on every access anyway) or truncate the file (a crash,
//! never a wrong result). Where mapping fails, the file is read instead.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

/// A file's whole contents: mapped, or read into memory.
#[derive(Debug)]
pub enum FileBytes {
    /// Mapped read-only.
    Mapped(memmap2::Mmap),
    /// In memory (read, or built by this run).
    Owned(Vec<u8>),
}

impl Default for FileBytes {
    fn default() -> Self {
        FileBytes::Owned(Vec::new())
    }
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(m) => m,
            FileBytes::Owned(v) => v,
        }
    }
}

impl FileBytes {
    /// The contents of `file`, whose length is `len` (as its metadata said); mapped when
    /// it can be, read otherwise. Only for files written by
    /// [`crate::index::write_atomic`].
    pub fn of(mut file: File, len: u64) -> std::io::Result<FileBytes> {
        if len > 0
            && let Some(map) = map(&file, None)
            && map.len() as u64 == len
        {
            return Ok(FileBytes::Mapped(map));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0).saturating_add(1));
        file.read_to_end(&mut bytes)?;
        Ok(FileBytes::Owned(bytes))
    }

    /// The first `len` bytes of `file`, which its metadata said is at least that long;
    /// mapped when they can be, read from the start otherwise (without zeroing a buffer
    /// first). Only for files written by [`crate::index::write_atomic`].
    pub fn head(mut file: &File, len: u64) -> std::io::Result<FileBytes> {
        if let Ok(n) = usize::try_from(len)
            && n > 0
            && let Some(map) = map(file, Some(n))
        {
            return Ok(FileBytes::Mapped(map));
        }
        file.seek(SeekFrom::Start(0))?;
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        file.take(len).read_to_end(&mut bytes)?;
        if bytes.len() as u64 != len {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(FileBytes::Owned(bytes))
    }
}

/// Maps the first `len` bytes of `file`, or all of it as long as it is now.
#[cfg(unix)]
#[allow(unsafe_code)]
fn map(file: &File, len: Option<usize>) -> Option<memmap2::Mmap> {
    let mut options = memmap2::MmapOptions::new();
    if let Some(len) = len {
        options.len(len);
    }
    // SAFETY: see the module comment: the files mapped here are never changed in place
    // by any writer of ours; they are replaced by rename, which leaves this mapping on
    // the old file.
    unsafe { options.map(file) }.ok()
}

/// Windows refuses to replace a file that is mapped, and our writers replace files
/// while other runs may hold them: read instead.
#[cfg(not(unix))]
fn map(_: &File, _: Option<usize>) -> Option<memmap2::Mmap> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_reads_the_same_mapped_or_not_and_a_replacement_leaves_it_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"first contents").unwrap();
        let open = || {
            let f = File::open(&path).unwrap();
            let len = f.metadata().unwrap().len();
            FileBytes::of(f, len).unwrap()
        };
        let first = open();
        assert_eq!(&*first, b"first contents");
        #[cfg(unix)]
        assert!(matches!(first, FileBytes::Mapped(_)));
        // Our writers replace files by rename: what was mapped stays as it was.
        crate::index::write_atomic(&path, b"second").unwrap();
        assert_eq!(&*first, b"first contents");
        assert_eq!(&*open(), b"second");
        // The head of a file: its first bytes only, mapped or read alike.
        let f = File::open(&path).unwrap();
        assert_eq!(&*FileBytes::head(&f, 3).unwrap(), b"sec");
        #[cfg(unix)]
        assert!(matches!(
            FileBytes::head(&f, 3).unwrap(),
            FileBytes::Mapped(_)
        ));
        // An empty file is not mapped (a zero-length mapping is an error).
        std::fs::write(&path, b"").unwrap();
        assert!(open().is_empty());
    }
}
