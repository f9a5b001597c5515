//! Project templates (`templates/<name>/`, embedded by `build.rs`) and their rendering:
//! `{{value}}`, `{{#flag}} … {{/flag}}`, `{{#validators}} … {{/validators}}` (once per
//! validator), and paths with `{{index}}` written once per validator. An unknown value, an
//! unclosed tag or a stray closing tag is an error, so a template cannot ship a typo.

use std::collections::BTreeMap;

/// One file of a template, embedded at build time.
#[derive(Debug)]
pub struct TemplateFile {
    /// The template's name (its folder under `templates/`).
    pub template: &'static str,
    /// The path inside the template, `/`-separated, possibly with placeholders.
    pub path: &'static str,
    /// The file's bytes.
    pub contents: &'static [u8],
    /// Whether the file is executable (scripts).
    pub executable: bool,
}

include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// The names of the embedded templates.
pub fn names() -> Vec<&'static str> {
    let mut names: Vec<&str> = FILES.iter().map(|f| f.template).collect();
    names.dedup();
    names
}

/// What a template is rendered with.
#[derive(Debug, Default, Clone)]
pub struct Values {
    /// `{{name}}` → value.
    pub scalars: BTreeMap<String, String>,
    /// `{{#flag}}` → keep the section or not.
    pub flags: BTreeMap<String, bool>,
    /// Each validator's own values, for `{{#validators}}` and `{{index}}` paths.
    pub validators: Vec<BTreeMap<String, String>>,
}

impl Values {
    /// Sets a value.
    pub fn set(&mut self, name: &str, value: impl ToString) -> &mut Self {
        self.scalars.insert(name.to_string(), value.to_string());
        self
    }

    /// These values with one validator's added.
    fn with(&self, validator: &BTreeMap<String, String>) -> Values {
        let mut values = self.clone();
        values.scalars.extend(validator.clone());
        values
    }
}

/// A rendered file: its path in the new project, its bytes, whether it is executable.
#[derive(Debug, PartialEq, Eq)]
pub struct RenderedFile {
    /// The path inside the project, `/`-separated.
    pub path: String,
    /// The contents.
    pub contents: Vec<u8>,
    /// Whether to make it executable.
    pub executable: bool,
}

/// Renders every file of `template`; a path with `{{index}}` once per validator.
pub fn render_template(template: &str, values: &Values) -> Result<Vec<RenderedFile>, String> {
    let mut out = Vec::new();
    for file in FILES.iter().filter(|f| f.template == template) {
        let per_validator = file.path.contains("{{index}}");
        let contexts: Vec<Values> = if per_validator {
            values.validators.iter().map(|v| values.with(v)).collect()
        } else {
            vec![values.clone()]
        };
        for context in contexts {
            let path = render(file.path, &context)
                .map_err(|e| format!("templates/{template}/{}: in its path: {e}", file.path))?;
            let contents = match std::str::from_utf8(file.contents) {
                Ok(text) => render(text, &context)
                    .map_err(|e| format!("templates/{template}/{}: {e}", file.path))?
                    .into_bytes(),
                Err(_) => file.contents.to_vec(),
            };
            out.push(RenderedFile {
                path,
                contents,
                executable: file.executable,
            });
        }
    }
    if out.is_empty() {
        return Err(format!(
            "there is no template `{template}`; the templates are: {}",
            names().join(", ")
        ));
    }
    Ok(out)
}

/// Renders one text.
pub fn render(text: &str, values: &Values) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("unclosed `{{{{` at line {}", line_of(text, rest, start)))?;
        let tag = after[..end].trim();
        rest = &after[end + 2..];
        if let Some(section) = tag.strip_prefix('#') {
            let close = format!("{{{{/{section}}}}}");
            let body_end = rest.find(&close).ok_or_else(|| {
                format!("section `{{{{#{section}}}}}` is never closed with `{close}`")
            })?;
            let body = &rest[..body_end];
            rest = &rest[body_end + close.len()..];
            if section == "validators" {
                for validator in &values.validators {
                    out.push_str(&render(body, &values.with(validator))?);
                }
            } else {
                match values.flags.get(section) {
                    Some(true) => out.push_str(&render(body, values)?),
                    Some(false) => {}
                    None => return Err(format!("unknown section `{{{{#{section}}}}}`")),
                }
            }
        } else if let Some(section) = tag.strip_prefix('/') {
            return Err(format!("`{{{{/{section}}}}}` closes no open section"));
        } else {
            let value = values
                .scalars
                .get(tag)
                .ok_or_else(|| format!("unknown value `{{{{{tag}}}}}`"))?;
            out.push_str(value);
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The 1-based line of `rest[offset]` in `text` (`rest` is a suffix of `text`).
fn line_of(text: &str, rest: &str, offset: usize) -> usize {
    let consumed = text.len() - rest.len() + offset;
    text[..consumed].matches('\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Values {
        let mut v = Values::default();
        v.set("name", "demo");
        v.flags.insert("p2p".into(), true);
        v.flags.insert("off".into(), false);
        for i in 1..=2 {
            let mut validator = BTreeMap::new();
            validator.insert("index".to_string(), i.to_string());
            v.validators.push(validator);
        }
        v
    }

    #[test]
    fn renders_values_flags_and_validator_sections() {
        let v = values();
        assert_eq!(render("a {{name}} b", &v).unwrap(), "a demo b");
        assert_eq!(render("{{ name }}", &v).unwrap(), "demo");
        assert_eq!(render("[{{#p2p}}on{{/p2p}}]", &v).unwrap(), "[on]");
        assert_eq!(render("[{{#off}}on{{/off}}]", &v).unwrap(), "[]");
        assert_eq!(
            render("{{#validators}}{{name}}-{{index}};{{/validators}}", &v).unwrap(),
            "demo-1;demo-2;"
        );
        assert_eq!(render("no tags at all", &v).unwrap(), "no tags at all");
    }

    #[test]
    fn refuses_unknown_values_and_broken_tags() {
        let v = values();
        for (text, says) in [
            ("{{nmae}}", "unknown value `{{nmae}}`"),
            ("{{#nope}}x{{/nope}}", "unknown section"),
            ("{{#p2p}}x", "never closed"),
            ("x{{/p2p}}", "closes no open section"),
            ("line\n{{name", "unclosed `{{` at line 2"),
            ("{{index}}", "unknown value"),
        ] {
            let e = render(text, &v).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
    }

    #[test]
    fn an_unknown_template_is_refused_with_the_list() {
        let e = render_template("cosmos", &values()).unwrap_err();
        assert!(e.contains("evm"), "{e}");
    }
}
