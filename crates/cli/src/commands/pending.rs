//! Commands whose capability is not built yet. Each says so plainly and exits 2; none pretends.

use crate::failure::Failure;

pub fn deploy() -> Failure {
    Failure::NotYet {
        command: "deploy",
        reason: "deploying to Kafka and Flink is not built yet",
    }
}

pub fn clean() -> Failure {
    Failure::NotYet {
        command: "clean",
        reason: "there is nothing pipegen could have created yet: runs are not built",
    }
}
