//! AVRO binary encoding (the datum alone; framing for the registry is added by the caller).

use super::Out;

/// Writes AVRO binary into a buffer the caller owns and reuses.
pub struct AvroOut<'a> {
    buf: &'a mut Vec<u8>,
}

impl<'a> AvroOut<'a> {
    pub fn new(buf: &'a mut Vec<u8>) -> Self {
        Self { buf }
    }

    fn varint(&mut self, v: i64) {
        let mut n = ((v << 1) ^ (v >> 63)) as u64;
        while n >= 0x80 {
            self.buf.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.buf.push(n as u8);
    }
}

/// Minimal two's-complement big-endian bytes of `v`.
fn twos_complement(v: i128) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let sign = if v < 0 { 0xff } else { 0x00 };
    let mut start = 0;
    while start < 15 && bytes[start] == sign && (bytes[start + 1] & 0x80) == (sign & 0x80) {
        start += 1;
    }
    bytes[start..].to_vec()
}

impl Out for AvroOut<'_> {
    fn null(&mut self) {}
    fn boolean(&mut self, v: bool) {
        self.buf.push(u8::from(v));
    }
    fn int(&mut self, v: i32) {
        self.varint(i64::from(v));
    }
    fn long(&mut self, v: i64) {
        self.varint(v);
    }
    fn float(&mut self, v: f32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    fn double(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, v: &[u8]) {
        self.varint(v.len() as i64);
        self.buf.extend_from_slice(v);
    }
    fn string(&mut self, v: &str) {
        self.bytes(v.as_bytes());
    }
    fn enum_symbol(&mut self, index: usize, _symbol: &str) {
        self.varint(index as i64);
    }
    fn fixed(&mut self, v: &[u8]) {
        self.buf.extend_from_slice(v);
    }
    fn decimal(&mut self, unscaled: i128, _scale: u32, fixed_size: Option<usize>) {
        let minimal = twos_complement(unscaled);
        match fixed_size {
            None => self.bytes(&minimal),
            Some(size) => {
                let pad = if unscaled < 0 { 0xff } else { 0x00 };
                self.buf
                    .extend(std::iter::repeat_n(pad, size.saturating_sub(minimal.len())));
                self.buf
                    .extend_from_slice(&minimal[minimal.len().saturating_sub(size)..]);
            }
        }
    }
    fn uuid(&mut self, v: &str) {
        self.string(v);
    }
    fn date(&mut self, days: i32) {
        self.int(days);
    }
    fn time_millis(&mut self, millis: i32) {
        self.int(millis);
    }
    fn time_micros(&mut self, micros: i64) {
        self.long(micros);
    }
    fn timestamp_millis(&mut self, millis: i64, _local: bool) {
        self.long(millis);
    }
    fn timestamp_micros(&mut self, micros: i64, _local: bool) {
        self.long(micros);
    }
    fn duration(&mut self, months: u32, days: u32, millis: u32) {
        for part in [months, days, millis] {
            self.buf.extend_from_slice(&part.to_le_bytes());
        }
    }
    fn begin_record(&mut self, _fields: usize) {}
    fn field(&mut self, _name: &str) {}
    fn end_record(&mut self) {}
    fn begin_array(&mut self, len: usize) {
        if len > 0 {
            self.varint(len as i64);
        }
    }
    fn end_array(&mut self) {
        self.buf.push(0);
    }
    fn begin_map(&mut self, len: usize) {
        self.begin_array(len);
    }
    fn map_key(&mut self, key: &str) {
        self.string(key);
    }
    fn end_map(&mut self) {
        self.buf.push(0);
    }
    fn union_branch(&mut self, index: usize) {
        self.varint(index as i64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_varints_and_decimals() {
        let mut buf = Vec::new();
        let mut out = AvroOut::new(&mut buf);
        for v in [0, -1, 1, -64, 64, i64::MAX] {
            out.long(v);
        }
        assert_eq!(&buf[..6], &[0x00, 0x01, 0x02, 0x7f, 0x80, 0x01]);
        assert_eq!(twos_complement(0), [0]);
        assert_eq!(twos_complement(127), [0x7f]);
        assert_eq!(twos_complement(128), [0x00, 0x80]);
        assert_eq!(twos_complement(-1), [0xff]);
        assert_eq!(twos_complement(-129), [0xff, 0x7f]);
    }
}
