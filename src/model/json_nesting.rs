//! How deep arrays and objects nest in JSON text, read from its bytes without parsing
//! it: the one scanner behind the request-body limit and the store's codec limits.

/// The byte offset where nesting first goes deeper than `max`, if it does. Brackets
/// inside strings do not count. Stops at that offset, so a huge body costs no more
/// than its first too-deep bracket.
pub fn deeper_than(json: &[u8], max: usize) -> Option<usize> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (at, &b) in json.iter().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Some(at);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_is_counted_outside_strings_only() {
        let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        assert_eq!(deeper_than(deep.as_bytes(), 64), Some(64));
        let ok = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert_eq!(deeper_than(ok.as_bytes(), 64), None);
        let quoted = format!("{{\"a\": \"{}\\\"[\"}}", "[".repeat(100));
        assert_eq!(deeper_than(quoted.as_bytes(), 64), None, "{quoted}");
        assert_eq!(deeper_than(br#"{"a":[1,"]]}}[[",{}]}"#, 3), None);
        assert_eq!(deeper_than(br#"{"a":[1,"]]}}[[",{}]}"#, 2), Some(17));
    }
}
