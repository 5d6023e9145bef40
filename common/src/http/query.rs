//! Query strings: only the parameters a route knows, each at most once.

use lambda_http::{Request, RequestExt};

use crate::error::ApiError;
use crate::validation::Validator;

pub struct Query<'a> {
    req: &'a Request,
}

impl<'a> Query<'a> {
    /// Refuses parameters outside `allowed` and repeated ones, all reported together.
    pub fn new(req: &'a Request, allowed: &[&str]) -> Result<Self, ApiError> {
        let mut v = Validator::new();
        if let Some(params) = req.query_string_parameters_ref() {
            let mut seen = std::collections::BTreeSet::new();
            for (k, _) in params.iter() {
                if !allowed.contains(&k) {
                    if seen.insert(k) {
                        v.add(format!("query.{k}"), format!("is not a parameter of this route (known: {})", allowed.join(", ")));
                    }
                } else if params.all(k).is_some_and(|all| all.len() > 1) && seen.insert(k) {
                    v.add(format!("query.{k}"), "must be given at most once");
                }
            }
        }
        v.finish()?;
        Ok(Self { req })
    }

    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.req.query_string_parameters_ref().and_then(|p| p.first(name))
    }

    /// `limit`: 1..=max, `default` when absent.
    pub fn limit(&self, v: &mut Validator, default: usize, max: usize) -> usize {
        match self.get("limit") {
            None => default,
            Some(raw) => match raw.parse::<usize>() {
                Ok(n) if (1..=max).contains(&n) => n,
                _ => {
                    v.add("query.limit", format!("must be a whole number from 1 to {max}"));
                    default
                }
            },
        }
    }

    /// `cursor`: opaque, from a previous page's `nextCursor`.
    pub fn cursor(&self, v: &mut Validator) -> Option<String> {
        let c = self.get("cursor")?;
        if c.is_empty() || c.len() > 2048 {
            v.add("query.cursor", "is not a cursor this listing issued; start again without a cursor");
            return None;
        }
        Some(c.to_owned())
    }
}
