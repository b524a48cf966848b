//! How messages and reports word counts, at the bottom so every layer can use it.

/// `one` for 1, else `many`: counts in every text format read as written.
pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}
