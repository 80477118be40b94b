//! Names Kubernetes and Compose accept (DNS-1123 labels), made from names people chose.

/// Whether `name` is a DNS-1123 label: lower-case letters, digits and '-', starting with a
/// letter and ending with a letter or digit, at most 63 characters.
pub fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// `name` as a DNS-1123 label (`Orders_Pipeline` -> `orders-pipeline`), or `fallback` when
/// nothing of it is left.
pub fn dns_label(name: &str, fallback: &str) -> String {
    let mut label = String::new();
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            label.push(c);
        } else if !label.is_empty() && !label.ends_with('-') {
            label.push('-');
        }
    }
    let label = label.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-');
    let mut label: String = label.chars().take(63).collect();
    while label.ends_with('-') {
        label.pop();
    }
    if label.is_empty() { fallback.to_owned() } else { label }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_from_chosen_names() {
        assert_eq!(dns_label("Orders_Pipeline", "x"), "orders-pipeline");
        assert_eq!(dns_label("my-app.order-stats", "x"), "my-app-order-stats");
        assert_eq!(dns_label("42__", "pipeline"), "pipeline");
        assert!(is_dns_label("orders-pipeline"));
        assert!(!is_dns_label("Orders"));
        assert!(!is_dns_label("orders-"));
        assert!(!is_dns_label(&"a".repeat(64)));
    }
}
