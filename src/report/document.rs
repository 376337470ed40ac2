//! A report as a list of blocks, written out as Markdown (`report.md`) or as one self-contained
//! HTML page (`report.html`: inline CSS, charts inlined as SVG, no external assets).
//!
//! Every string that can come from a trace or a scenario (job, queue, pool and scenario names) is
//! escaped: HTML special characters become entities in both outputs (Markdown viewers render raw
//! HTML), and `|` is escaped in Markdown table cells.

use std::fmt::Write;

/// A piece of a report.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// A heading of level 2 or 3.
    Heading(u8, String),
    /// A paragraph of plain text.
    Para(String),
    /// A table: header and rows of plain-text cells.
    Table {
        /// Column titles.
        header: Vec<String>,
        /// Rows.
        rows: Vec<Vec<String>>,
    },
    /// A chart: its SVG (inlined in HTML), the file the Markdown links to, and a caption.
    Chart {
        /// Title.
        title: String,
        /// SVG document (already escaped by the SVG writer).
        svg: String,
        /// Relative path of the SVG file beside the report.
        file: String,
        /// What it shows.
        caption: String,
    },
    /// Term – definition pairs.
    Definitions(Vec<(String, String)>),
}

/// A whole report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Document {
    /// Page title.
    pub title: String,
    /// Content in order.
    pub blocks: Vec<Block>,
}

/// Escapes `& < > " '` for HTML text and attributes.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for Markdown: HTML entities (viewers render raw HTML), and the characters that
/// would start emphasis, links or break a table cell.
pub fn escape_md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' | '*' | '_' | '`' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1000px;margin:2em auto;\
padding:0 1em;color:#222;line-height:1.45}h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;\
margin-top:1.6em}table{border-collapse:collapse;margin:.8em 0;font-size:.92em}th,td{border:1px solid #ccc;\
padding:.25em .6em;text-align:right;white-space:nowrap}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}\
figure{margin:1em 0}figure svg{max-width:100%;height:auto}figcaption{color:#555;font-size:.9em}\
dt{font-weight:600;margin-top:.5em}dd{margin-left:1.2em;color:#333}";

impl Document {
    /// The report as Markdown (charts linked as files beside it).
    pub fn to_markdown(&self) -> String {
        let mut out = format!("# {}\n", escape_md(&self.title));
        for b in &self.blocks {
            out.push('\n');
            match b {
                Block::Heading(level, text) => {
                    let _ = writeln!(out, "{} {}", "#".repeat(*level as usize), escape_md(text));
                }
                Block::Para(text) => {
                    let _ = writeln!(out, "{}", escape_md(text));
                }
                Block::Table { header, rows } => {
                    let cells = |r: &[String]| r.iter().map(|c| escape_md(c)).collect::<Vec<_>>().join(" | ");
                    let _ = writeln!(out, "| {} |", cells(header));
                    let align: Vec<&str> = (0..header.len()).map(|i| if i == 0 { ":---" } else { "---:" }).collect();
                    let _ = writeln!(out, "| {} |", align.join(" | "));
                    for r in rows {
                        let _ = writeln!(out, "| {} |", cells(r));
                    }
                }
                Block::Chart { title, file, caption, .. } => {
                    let _ = writeln!(out, "![{}]({file})\n\n*{}*", escape_md(title), escape_md(caption));
                }
                Block::Definitions(defs) => {
                    for (term, def) in defs {
                        let _ = writeln!(out, "- **{}**: {}", escape_md(term), escape_md(def));
                    }
                }
            }
        }
        out
    }

    /// The report as one HTML page with no external assets.
    pub fn to_html(&self) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
            escape_html(&self.title),
            escape_html(&self.title)
        );
        for b in &self.blocks {
            match b {
                Block::Heading(level, text) => {
                    let _ = writeln!(out, "<h{level}>{}</h{level}>", escape_html(text));
                }
                Block::Para(text) => {
                    let _ = writeln!(out, "<p>{}</p>", escape_html(text));
                }
                Block::Table { header, rows } => {
                    out.push_str("<table>\n<thead><tr>");
                    for h in header {
                        let _ = write!(out, "<th>{}</th>", escape_html(h));
                    }
                    out.push_str("</tr></thead>\n<tbody>\n");
                    for r in rows {
                        out.push_str("<tr>");
                        for c in r {
                            let _ = write!(out, "<td>{}</td>", escape_html(c));
                        }
                        out.push_str("</tr>\n");
                    }
                    out.push_str("</tbody>\n</table>\n");
                }
                Block::Chart { title, svg, caption, .. } => {
                    // The SVG writer escapes its text; strip any XML prolog so it inlines cleanly.
                    let body = svg.find("<svg").map_or(svg.as_str(), |i| &svg[i..]);
                    let _ = writeln!(
                        out,
                        "<figure aria-label=\"{}\">\n{body}\n<figcaption>{}</figcaption>\n</figure>",
                        escape_html(title),
                        escape_html(caption)
                    );
                }
                Block::Definitions(defs) => {
                    out.push_str("<dl>\n");
                    for (term, def) in defs {
                        let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", escape_html(term), escape_html(def));
                    }
                    out.push_str("</dl>\n");
                }
            }
        }
        out.push_str("</body>\n</html>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_trace_strings() {
        let doc = Document {
            title: "run <script>alert(1)</script> & co".into(),
            blocks: vec![
                Block::Table { header: vec!["queue".into()], rows: vec![vec!["<script>x</script>&|y".into()]] },
                Block::Para("a <b> & 'c'".into()),
            ],
        };
        let html = doc.to_html();
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt;&amp;|y"));
        assert!(html.contains("a &lt;b&gt; &amp; &#39;c&#39;"));
        let md = doc.to_markdown();
        assert!(!md.contains("<script>"), "{md}");
        assert!(md.contains("&lt;script&gt;x&lt;/script&gt;&amp;\\|y"));
    }
}
