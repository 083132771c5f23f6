//! Words with their byte positions, capitals, sentence starts and case-insensitive search.

use crate::lexicon::ABBREVIATIONS;

/// A word: letters and digits, joined by inner hyphens and apostrophes ("Jan-Willem", "'s-Hertogenbosch").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word<'a> {
    pub start: usize,
    pub end: usize,
    pub text: &'a str,
}

impl Word<'_> {
    pub fn lower(&self) -> String {
        self.text.to_lowercase()
    }

    /// Starts with a capital and is not an acronym ("GGD", "IB").
    pub fn is_capitalised(&self) -> bool {
        let mut letters = self.text.chars().filter(|c| c.is_alphabetic());
        let Some(first) = letters.next() else { return false };
        if !first.is_uppercase() {
            return false;
        }
        let rest: Vec<char> = letters.collect();
        // "IJssel" starts with two capitals and is still a word, not an acronym.
        rest.is_empty() || rest.iter().any(|c| c.is_lowercase())
    }

    pub fn is_digits(&self) -> bool {
        !self.text.is_empty() && self.text.chars().all(|c| c.is_ascii_digit())
    }
}

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '’'
}

/// Split `text` into words.
pub fn words(text: &str) -> Vec<Word<'_>> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        let starts_with_apostrophe = is_apostrophe(c)
            && chars.get(i + 1).is_some_and(|&(_, n)| n.is_alphanumeric())
            && (i == 0 || !chars[i - 1].1.is_alphanumeric());
        if !c.is_alphanumeric() && !starts_with_apostrophe {
            i += 1;
            continue;
        }
        let start = pos;
        i += 1;
        while i < chars.len() {
            let (_, c) = chars[i];
            let inner_joiner = (c == '-' || is_apostrophe(c))
                && chars.get(i + 1).is_some_and(|&(_, n)| n.is_alphanumeric())
                && chars[i - 1].1.is_alphanumeric();
            if c.is_alphanumeric() || inner_joiner {
                i += 1;
            } else {
                break;
            }
        }
        let end = chars.get(i).map_or(text.len(), |&(p, _)| p);
        out.push(Word { start, end, text: &text[start..end] });
    }
    out
}

/// Whether word `i` starts a sentence (so a capital says nothing about being a name).
pub fn sentence_start(text: &str, words: &[Word<'_>], i: usize) -> bool {
    let before = &text[..words[i].start];
    let mut saw_quote = false;
    for c in before.chars().rev() {
        match c {
            '\n' => return true,
            ' ' | '\t' | '\r' => continue,
            '"' | '“' | '‘' | '„' | '\'' => {
                saw_quote = true;
                continue;
            }
            '(' | '[' => return false,
            '.' => {
                if saw_quote {
                    return true;
                }
                // "dhr. Verhoeven", "J. de Vries": an abbreviation or initial does not end the sentence.
                return match i.checked_sub(1).map(|p| words[p]) {
                    Some(prev) => {
                        let lower = prev.lower();
                        let is_initial = prev.text.chars().count() == 1 && prev.text.chars().all(char::is_uppercase);
                        !(is_initial || ABBREVIATIONS.contains(&lower.as_str()))
                    }
                    None => true,
                };
            }
            '!' | '?' | '•' | '*' => return true,
            '-' | '–' => {
                // A bullet at the start of a line.
                let line = before.rsplit('\n').next().unwrap_or("");
                return line.trim_start().starts_with(['-', '–']);
            }
            _ => return saw_quote,
        }
    }
    true
}

/// The text lowercased char by char, with the byte offset of every char in the original (plus the end).
pub struct Folded {
    pub chars: Vec<char>,
    pub offsets: Vec<usize>,
}

pub fn fold(text: &str) -> Folded {
    let mut chars = Vec::with_capacity(text.len());
    let mut offsets = Vec::with_capacity(text.len() + 1);
    for (pos, c) in text.char_indices() {
        chars.push(c.to_lowercase().next().unwrap_or(c));
        offsets.push(pos);
    }
    offsets.push(text.len());
    Folded { chars, offsets }
}

/// Every occurrence of `needle` (case-insensitive) on word boundaries, as byte ranges, with an inflection
/// ("Daans", "Daan's") included in the range.
pub fn find_word_ci(folded: &Folded, needle: &str) -> Vec<std::ops::Range<usize>> {
    let pat: Vec<char> = needle.chars().map(|c| c.to_lowercase().next().unwrap_or(c)).collect();
    let n = folded.chars.len();
    let mut out = Vec::new();
    if pat.is_empty() || pat.len() > n {
        return out;
    }
    let alnum = |k: usize| folded.chars.get(k).is_some_and(|c| c.is_alphanumeric());
    for s in 0..=n - pat.len() {
        if folded.chars[s..s + pat.len()] != pat[..] {
            continue;
        }
        if s > 0 && alnum(s - 1) {
            continue;
        }
        let mut e = s + pat.len();
        if alnum(e) {
            // "Daans": a genitive s directly after the name.
            if folded.chars[e] == 's' && !alnum(e + 1) && pat.last().is_some_and(|c| c.is_alphabetic()) {
                e += 1;
            } else {
                continue;
            }
        } else if folded.chars.get(e).is_some_and(|&c| is_apostrophe(c))
            && folded.chars.get(e + 1) == Some(&'s')
            && !alnum(e + 2)
        {
            e += 2;
        }
        out.push(folded.offsets[s]..folded.offsets[e]);
    }
    out
}
