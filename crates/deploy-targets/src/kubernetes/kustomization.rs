//! The kustomization that ties the files together: the namespace, common labels, and the
//! credentials Secret generated from a file the user fills in (never from pipegen's output).

use serde_json::{Value, json};

use crate::needs::Needs;
use crate::stack::Stack;

use super::secrets::{CREDENTIALS_FILE, credentials_secret_name};

pub const FILE: &str = "kustomization.yaml";

pub fn render(stack: &Stack, resources: &[&str], needs: &Needs) -> Value {
    let mut kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": stack.namespace,
        "labels": [{"pairs": super::common_labels(stack), "includeSelectors": false}],
        "resources": resources,
    });
    if !needs.user_placeholders.is_empty() {
        kustomization["secretGenerator"] = json!([{
            "name": credentials_secret_name(stack),
            "envs": [CREDENTIALS_FILE],
            // A fixed name: the Job refers to it, and a re-apply updates it in place.
            "options": {"disableNameSuffixHash": true},
        }]);
    }
    kustomization
}
