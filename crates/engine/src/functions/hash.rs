//! Flink's `MD5`, `SHA1`, `SHA224`, `SHA256`, `SHA384`, `SHA512` and `SHA2(text, bits)`: the
//! lowercase hex digest of the text's UTF-8 bytes.

use datafusion::logical_expr::ScalarUDF;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

/// `pipegen_hash(algorithm, text)`, the algorithm named as Flink's function is (`SHA256`).
pub const HASH: &str = "pipegen_hash";

pub fn udf() -> ScalarUDF {
    super::string_udf(HASH, 2, |args| digest(args[0], args[1].as_bytes()))
}

fn digest(algorithm: &str, bytes: &[u8]) -> Option<String> {
    let digest = match algorithm {
        "MD5" => Md5::digest(bytes).to_vec(),
        "SHA1" => Sha1::digest(bytes).to_vec(),
        "SHA224" => Sha224::digest(bytes).to_vec(),
        "SHA256" => Sha256::digest(bytes).to_vec(),
        "SHA384" => Sha384::digest(bytes).to_vec(),
        "SHA512" => Sha512::digest(bytes).to_vec(),
        _ => return None,
    };
    Some(digest.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::digest;

    #[test]
    fn digests_are_lowercase_hex() {
        assert_eq!(digest("MD5", b"").as_deref(), Some("d41d8cd98f00b204e9800998ecf8427e"));
        assert_eq!(
            digest("SHA1", b"abc").as_deref(),
            Some("a9993e364706816aba3e25717850c26c9cd0d89d")
        );
        assert_eq!(digest("SHA3", b"abc"), None);
    }
}
