//! The edXML reader (QCVN 102:2016, kyso-sync) on arbitrary bytes: `parse` and `parse_status`
//! must never panic, and what they read must survive being written again (a status in both
//! layouts: `Status`, and the status package of the VNPT SDK's platforms).
//!
//! The round trip is checked on what `parse` returns, not on any message: `to_xml`'s promise
//! (`parse(to_xml(m)) == m` when the metadata validates) does not hold for every value of the
//! struct (a C0 control is written as U+FFFD, `Some("")` reads back as `None`, a
//! `BussinessDocType` above 3 is refused), but a message `parse` returned holds none of those:
//! its text is XML characters only, its optional fields are never empty, its codes are in
//! range and its dates are either `yyyy-mm-dd` or kept as written. So for it the round trip
//! must be exact, and `write_message` must stream the same bytes as `to_xml`.
#![no_main]

use std::io::Read;

use kyso_sync::edxml::{self, Reference};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = edxml::parse(data) {
        let xml = edxml::to_xml(&message);
        match edxml::parse(xml.as_bytes()) {
            Ok(again) => assert_eq!(again, message, "parse(to_xml(m)) != m\n{xml}"),
            Err(e) => panic!("to_xml wrote a message parse refuses: {e}\n{xml}"),
        }

        let mut readers: Vec<&[u8]> = message.attachments.iter().map(|a| &a.data[..]).collect();
        let mut attachments: Vec<(&Reference, &mut dyn Read)> = message
            .attachments
            .iter()
            .zip(readers.iter_mut())
            .map(|(a, r)| (&a.reference, r as &mut dyn Read))
            .collect();
        let mut streamed = Vec::new();
        edxml::write_message(&message, &mut attachments, &mut streamed)
            .expect("writing to a Vec cannot fail");
        assert!(
            streamed == xml.as_bytes(),
            "write_message and to_xml differ"
        );

        let _ = message.meta.validate();
        let _ = message.meta.document_id();
    }
    if let Ok(status) = edxml::parse_status(data) {
        let xml = edxml::status_to_xml(&status);
        match edxml::parse_status(xml.as_bytes()) {
            Ok(again) => assert_eq!(again, status, "parse_status(status_to_xml(s)) != s\n{xml}"),
            Err(e) => panic!("status_to_xml wrote a status parse_status refuses: {e}\n{xml}"),
        }
        // The same status as the VNPT SDK's platforms carry it (a status package).
        let package = edxml::status_package_to_xml(&status);
        match edxml::parse_status(package.as_bytes()) {
            Ok(again) => assert_eq!(again, status, "status package round trip\n{package}"),
            Err(e) => panic!("status_package_to_xml wrote what parse_status refuses: {e}\n{package}"),
        }
        let _ = edxml::timestamp_to_rfc3339(&status.timestamp);
    }
});
