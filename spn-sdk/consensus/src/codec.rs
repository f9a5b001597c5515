//! Read and write the fixed-width binary encodings of consensus messages: a tag byte, big-endian
//! integers, 32-byte hashes, 64-byte signatures and u32-length-prefixed byte strings, decoded
//! from untrusted input with every length bounded and trailing bytes refused.

/// Why bytes are not a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed consensus message: {0}")]
pub struct WireError(pub String);

/// Appends encoded fields.
#[derive(Default)]
pub(crate) struct Writer(pub Vec<u8>);

impl Writer {
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    pub fn raw(&mut self, v: &[u8]) {
        self.0.extend_from_slice(v);
    }
    pub fn bytes32(&mut self, v: &[u8; 32]) {
        self.raw(v);
    }
    pub fn blob(&mut self, v: &[u8]) {
        self.u32(v.len() as u32);
        self.raw(v);
    }
}

/// Reads encoded fields from untrusted bytes.
pub(crate) struct Reader<'a>(pub &'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], WireError> {
        if self.0.len() < n {
            return Err(WireError(format!(
                "truncated: needs {n} more bytes, {} left",
                self.0.len()
            )));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    pub fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.take(1)?[0])
    }
    pub fn u32(&mut self) -> Result<u32, WireError> {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4)?);
        Ok(u32::from_be_bytes(b))
    }
    pub fn u64(&mut self) -> Result<u64, WireError> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(u64::from_be_bytes(b))
    }
    pub fn bytes32(&mut self) -> Result<[u8; 32], WireError> {
        let mut b = [0u8; 32];
        b.copy_from_slice(self.take(32)?);
        Ok(b)
    }
    pub fn bytes64(&mut self) -> Result<[u8; 64], WireError> {
        let mut b = [0u8; 64];
        b.copy_from_slice(self.take(64)?);
        Ok(b)
    }
    /// A length-prefixed byte string of at most `max` bytes.
    pub fn blob(&mut self, max: usize) -> Result<Vec<u8>, WireError> {
        let len = self.u32()? as usize;
        if len > max {
            return Err(WireError(format!("{len} bytes exceed the limit of {max}")));
        }
        Ok(self.take(len)?.to_vec())
    }
    /// A u32 count of at most `max`.
    pub fn count(&mut self, max: usize, what: &str) -> Result<usize, WireError> {
        let count = self.u32()? as usize;
        if count > max {
            return Err(WireError(format!("{count} {what} exceeds {max}")));
        }
        Ok(count)
    }
    pub fn finish(&self) -> Result<(), WireError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(WireError(format!("{} trailing bytes", self.0.len())))
        }
    }
}
