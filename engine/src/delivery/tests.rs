//! Tests of the delivery codecs.
