//! Name normalisation for search and slugs.
//!
//! Search is case- and accent-insensitive in every script: names are decomposed
//! (NFKD), combining marks dropped, lower-cased, and punctuation turned into spaces.
//! `Jōetsu` and `joetsu`, `Ёлкино` and `елкино` normalise alike; scripts without case
//! (`布拉戈维申斯克`) pass through unchanged.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Letters that do not decompose into a base letter plus a mark.
fn fold_special(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'ø' => "o",
        'đ' | 'ð' => "d",
        'ł' => "l",
        'þ' => "th",
        'ı' => "i",
        'ħ' => "h",
        _ => return None,
    })
}

/// Normalises a name for search: lower case, no accents, words separated by one space.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
    {
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            match fold_special(c) {
                Some(s) => out.push_str(s),
                None => out.push(c),
            }
        } else {
            pending_space = true;
        }
    }
    out
}

/// The words of a normalised name.
pub fn tokens(normalized: &str) -> impl Iterator<Item = &str> {
    normalized.split(' ').filter(|t| !t.is_empty())
}

/// A slug for ids: the normalised name with words joined by `-`.
pub fn slug(text: &str) -> String {
    normalize(text).replace(' ', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_accents_in_every_script() {
        assert_eq!(normalize("Jōetsu"), "joetsu");
        assert_eq!(normalize("JOETSU"), "joetsu");
        assert_eq!(normalize("Благовещенск"), "благовещенск");
        assert_eq!(normalize("БЛАГОВЕЩЕНСК"), "благовещенск");
        assert_eq!(normalize("布拉戈维申斯克"), "布拉戈维申斯克");
        assert_eq!(normalize("Ёлкино"), "елкино");
        assert_eq!(normalize("São Paulo"), "sao paulo");
        assert_eq!(normalize("Łódź"), "lodz");
        assert_eq!(normalize("Straße"), "strasse");
    }

    #[test]
    fn punctuation_separates_words() {
        assert_eq!(
            normalize("  Petropavlovsk-Kamchatsky "),
            "petropavlovsk kamchatsky"
        );
        assert_eq!(normalize("St. John's"), "st john s");
        assert_eq!(tokens("a b  c").collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(normalize("---"), "");
    }

    #[test]
    fn fullwidth_forms_fold_to_ascii() {
        assert_eq!(normalize("ＴＯＫＹＯ"), "tokyo");
    }
}
