//! One `ssh_config` line split as OpenSSH splits it (`process_config_line` and `argv_split`).
//!
//! - Leading whitespace and trailing whitespace or form feeds are ignored; an empty line or one
//!   starting with `#` holds nothing.
//! - The keyword ends at whitespace, `"` or `=`, and is compared without regard to ASCII case
//!   (it is returned lower-cased). One `=`, with whitespace around it, may separate it from the
//!   arguments: `Port 22`, `Port=22` and `Port = 22` are the same line.
//! - Arguments are separated by spaces and tabs. `"` or `'` quote (the other quote is then an
//!   ordinary character); a backslash makes `\`, `"` and `'` ordinary anywhere and a space
//!   ordinary outside quotes, and is kept before any other character. An argument that starts
//!   with an unquoted `#` starts a comment that runs to the end of the line.
//! - Where OpenSSH refuses a line with an unterminated quote, the quote runs to the end of the
//!   line here, so one bad line never hides the rest of the file.

/// Whitespace that separates a keyword from its arguments.
const WHITESPACE: [char; 4] = [' ', '\t', '\r', '\n'];

/// Splits a line into its lower-cased keyword and its arguments; `None` for blank and comment
/// lines.
pub fn split_line(line: &str) -> Option<(String, Vec<String>)> {
    let (key, rest) = split_keyword(line)?;
    Some((key, split_args(rest)))
}

/// Splits a line into its lower-cased keyword and the rest of the line as written (leading
/// whitespace and `=` skipped), as OpenSSH keeps it for `ProxyCommand`; `None` for blank and
/// comment lines.
pub fn split_keyword(line: &str) -> Option<(String, &str)> {
    let line = line
        .trim_end_matches([' ', '\t', '\r', '\n', '\x0c'])
        .trim_start_matches(WHITESPACE);
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let end = line
        .find([' ', '\t', '\r', '\n', '"', '='])
        .unwrap_or(line.len());
    if end == 0 {
        return None;
    }
    let key = line[..end].to_ascii_lowercase();
    let mut rest = line[end..].trim_start_matches(WHITESPACE);
    if let Some(r) = rest.strip_prefix('=') {
        rest = r.trim_start_matches(WHITESPACE);
    }
    Some((key, rest))
}

/// Whether `text` leaves a quote open (OpenSSH refuses such a line; here it is read to its end
/// and warned about).
pub fn unterminated_quote(text: &str) -> bool {
    let mut quote: Option<char> = None;
    let mut at_start = true;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '#' if quote.is_none() && at_start => return false,
            '"' | '\'' if quote.is_none() => quote = Some(c),
            c if Some(c) == quote => quote = None,
            _ => {}
        }
        at_start = quote.is_none() && (c == ' ' || c == '\t');
    }
    quote.is_some()
}

/// Splits arguments as OpenSSH's `argv_split` does with comments ending the line; see the
/// [module documentation](self).
pub fn split_args(text: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|&c| c == ' ' || c == '\t').is_some() {}
        match chars.peek() {
            None | Some('#') => return args,
            Some(_) => {}
        }
        let mut arg = String::new();
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.peek() {
                    Some(&n) if matches!(n, '\\' | '"' | '\'') || (n == ' ' && quote.is_none()) => {
                        arg.push(n);
                        chars.next();
                    }
                    _ => arg.push('\\'),
                },
                ' ' | '\t' if quote.is_none() => break,
                '"' | '\'' if quote.is_none() => quote = Some(c),
                c if Some(c) == quote => quote = None,
                c => arg.push(c),
            }
        }
        args.push(arg);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn s(line: &str) -> (String, Vec<String>) {
        split_line(line).unwrap()
    }

    #[test]
    fn blank_and_comment_lines() {
        assert_eq!(split_line(""), None);
        assert_eq!(split_line("  \t "), None);
        assert_eq!(split_line("  # c"), None);
        assert_eq!(split_line("#Host a"), None);
    }

    #[test]
    fn keywords_and_equals() {
        assert_eq!(s("Host a b"), ("host".into(), vec!["a".into(), "b".into()]));
        assert_eq!(s("User=ann"), ("user".into(), vec!["ann".into()]));
        assert_eq!(s("Port = 22"), ("port".into(), vec!["22".into()]));
        assert_eq!(s("  PORT = 22 \x0c"), ("port".into(), vec!["22".into()]));
        assert_eq!(s("Port\t22\r"), ("port".into(), vec!["22".into()]));
        assert_eq!(s("Match").1, Vec::<String>::new());
        // Only one `=` separates.
        assert_eq!(s("User = =x").1, vec!["=x"]);
    }

    #[test]
    fn quotes_escapes_and_comments() {
        assert_eq!(
            s(r#"Host "a b" 'c d' e\ f x#y #rest"#).1,
            vec!["a b", "c d", "e f", "x#y"]
        );
        assert_eq!(s(r#"Host "it's" 'say "hi"'"#).1, vec!["it's", "say \"hi\""]);
        assert_eq!(
            s(r#"Host a\"b "c\"d" "e\ f" g\h \\"#).1,
            vec!["a\"b", "c\"d", "e\\ f", "g\\h", "\\"]
        );
        assert_eq!(s(r##"Host "" "#quoted" # c"##).1, vec!["", "#quoted"]);
        assert_eq!(s("User=#x").1, Vec::<String>::new());
        // Only spaces and tabs separate arguments.
        assert_eq!(s("Host a\u{a0}b\x0bc").1, vec!["a\u{a0}b\x0bc"]);
        // An unterminated quote runs to the end of the line.
        assert_eq!(s("Host \"a b").1, vec!["a b"]);
    }
}
