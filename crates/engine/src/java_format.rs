//! Flink's date and time patterns (Java's `SimpleDateFormat`: `yyyy-MM-dd HH:mm:ss`) in the
//! strftime form DataFusion's `to_char` and `to_timestamp` read (`%Y-%m-%d %H:%M:%S`).

/// The strftime pattern for a Java one; `None` for a letter this engine cannot format.
pub fn strftime(java: &str) -> Option<String> {
    let chars: Vec<char> = java.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // 'quoted text' is literal; '' is a quote.
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '\'' {
                push_literal(&mut out, chars[j]);
                j += 1;
            }
            i = j + 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            push_literal(&mut out, c);
            i += 1;
            continue;
        }
        let mut run = 1;
        while chars.get(i + run) == Some(&c) {
            run += 1;
        }
        out.push_str(match (c, run) {
            ('y', 2) => "%y",
            ('y', _) => "%Y",
            ('M', 1 | 2) => "%m",
            ('M', 3) => "%b",
            ('M', _) => "%B",
            ('d', _) => "%d",
            ('D', _) => "%j",
            ('H', _) => "%H",
            ('h', _) => "%I",
            ('m', _) => "%M",
            ('s', _) => "%S",
            ('S', 1..=3) => "%3f",
            ('S', 4..=6) => "%6f",
            ('S', _) => "%9f",
            ('a', _) => "%p",
            ('E', 1..=3) => "%a",
            ('E', _) => "%A",
            ('Z', _) => "%z",
            ('X', 1 | 2) => "%z",
            ('X', _) => "%:z",
            _ => return None,
        });
        i += run;
    }
    Some(out)
}

fn push_literal(out: &mut String, c: char) {
    if c == '%' {
        out.push_str("%%");
    } else {
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::strftime;

    #[test]
    fn java_patterns_become_strftime() {
        assert_eq!(strftime("yyyy-MM-dd HH:mm:ss").as_deref(), Some("%Y-%m-%d %H:%M:%S"));
        assert_eq!(
            strftime("yyyy-MM-dd HH:mm:ss.SSS").as_deref(),
            Some("%Y-%m-%d %H:%M:%S.%3f")
        );
        assert_eq!(strftime("dd MMM yy, EEE").as_deref(), Some("%d %b %y, %a"));
        assert_eq!(strftime("yyyyMMdd'T'HH '%' ''").as_deref(), Some("%Y%m%dT%H %% '"));
        assert_eq!(strftime("hh:mm a").as_deref(), Some("%I:%M %p"));
        assert_eq!(strftime("w"), None, "week of year is not formatted here");
    }
}
