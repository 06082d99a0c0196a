//! Holds JSON to the Graph v1.0 schema extracted from the CSDL
//! (`shared/reference/graph-v1.0-virtual-events.schema.json`): every property must exist on the
//! type or a base type (or the type must be open), and every value must have the declared type.

use serde_json::Value;

#[derive(Debug)]
pub struct Schema {
    doc: Value,
}

impl Schema {
    pub fn load() -> Self {
        let path = crate::workspace_root()
            .join("../shared/reference/graph-v1.0-virtual-events.schema.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("the Graph schema must be at {}: {e}", path.display()));
        Self {
            doc: serde_json::from_str(&text).expect("schema is JSON"),
        }
    }

    fn ty(&self, name: &str) -> Option<&Value> {
        self.doc["types"].get(name)
    }

    fn lookup(&self, ty: &str, prop: &str) -> Option<String> {
        let mut cur = Some(ty.to_string());
        while let Some(name) = cur {
            let t = self.ty(&name)?;
            if let Some(p) = t["properties"].get(prop) {
                return p["type"].as_str().map(str::to_string);
            }
            if let Some(n) = t.get("navigation").and_then(|n| n.get(prop)) {
                return n.as_str().map(str::to_string);
            }
            cur = t.get("base").and_then(Value::as_str).map(str::to_string);
        }
        None
    }

    /// True if `ty` is `base` or derives from it.
    fn derives(&self, ty: &str, base: &str) -> bool {
        let mut cur = Some(ty.to_string());
        while let Some(name) = cur {
            if name == base {
                return true;
            }
            cur = self
                .ty(&name)
                .and_then(|t| t.get("base"))
                .and_then(Value::as_str)
                .map(str::to_string);
        }
        false
    }

    fn is_open(&self, ty: &str) -> bool {
        let mut cur = Some(ty.to_string());
        while let Some(name) = cur {
            let Some(t) = self.ty(&name) else {
                return false;
            };
            if t.get("open").and_then(Value::as_bool) == Some(true) {
                return true;
            }
            cur = t.get("base").and_then(Value::as_str).map(str::to_string);
        }
        false
    }

    /// All problems of `value` as an instance of `ty`, each with its JSON path.
    pub fn check(&self, ty: &str, value: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        self.check_at("$", ty, value, &mut problems);
        problems
    }

    fn check_at(&self, path: &str, ty: &str, value: &Value, problems: &mut Vec<String>) {
        if value.is_null() {
            return;
        }
        if let Some(inner) = ty
            .strip_prefix("Collection(")
            .and_then(|t| t.strip_suffix(')'))
        {
            match value.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.check_at(&format!("{path}[{i}]"), inner, item, problems);
                    }
                }
                None => problems.push(format!("{path}: expected an array of {inner}, got {value}")),
            }
            return;
        }
        let ok = match ty {
            "Edm.String" => value.is_string(),
            "Edm.Boolean" => value.is_boolean(),
            "Edm.Int32" | "Edm.Int64" => value.is_i64(),
            "Edm.DateTimeOffset" => value
                .as_str()
                .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok()),
            "Edm.Stream" => value.is_string(),
            _ => {
                if let Some(members) = self.doc["enums"].get(ty) {
                    let m = value.as_str().unwrap_or("");
                    members
                        .as_array()
                        .is_some_and(|ms| ms.iter().any(|x| x == m))
                } else if self.ty(ty).is_some() {
                    match value.as_object() {
                        Some(obj) => {
                            // A polymorphic value names its concrete type, which must derive
                            // from the declared one.
                            let concrete = obj
                                .get("@odata.type")
                                .and_then(Value::as_str)
                                .and_then(|t| t.strip_prefix("#microsoft.graph."));
                            let ty = match concrete {
                                Some(c) if self.derives(c, ty) => c,
                                Some(c) => {
                                    problems.push(format!("{path}: @odata.type {c} is not a {ty}"));
                                    ty
                                }
                                None => ty,
                            };
                            let open = self.is_open(ty);
                            for (k, v) in obj {
                                if k.starts_with('@') {
                                    continue;
                                }
                                match self.lookup(ty, k) {
                                    Some(pt) => {
                                        self.check_at(&format!("{path}.{k}"), &pt, v, problems)
                                    }
                                    None if open => {}
                                    None => {
                                        problems.push(format!("{path}.{k}: not a property of {ty}"))
                                    }
                                }
                            }
                            true
                        }
                        None => false,
                    }
                } else {
                    problems.push(format!("{path}: type {ty} is not in the schema"));
                    true
                }
            }
        };
        if !ok {
            problems.push(format!("{path}: expected {ty}, got {value}"));
        }
    }
}
