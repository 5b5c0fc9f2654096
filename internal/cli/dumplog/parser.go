package dumplog

import "fmt"

// messageParser turns a record into the key and payload text printed with
// --print-data-log; nil means that part is not printed. An error means the
// record cannot be rendered at all (Kafka's tool would abort).
type messageParser func(r *recView) (key, payload *string, err error)

// newParser picks the parser by Kafka's precedence: offsets, transaction
// log, cluster metadata, then the key and value decoder classes. As in
// Kafka it is created for each log file, so a deprecated decoder class
// name prints its notice once per file.
func (d *dumper) newParser() (messageParser, error) {
	o := d.o
	switch {
	case o.OffsetsDecoder:
		return offsetsParser, nil
	case o.TransactionLogDecoder:
		return txnLogParser, nil
	case o.ClusterMetadataDecoder:
		return metadataParser, nil
	}
	// Kafka instantiates the value decoder, then the key decoder.
	for _, class := range []string{o.ValueDecoderClass, o.KeyDecoderClass} {
		if err := d.checkDecoderClass(class); err != nil {
			return nil, err
		}
	}
	return stringParser, nil
}

// checkDecoderClass accepts the UTF-8 string decoder under its current and
// its deprecated (pre-3.8) class names.
func (d *dumper) checkDecoderClass(class string) error {
	switch class {
	case stringDecoderClass:
		return nil
	case oldStringDecoder:
		if !d.json {
			fmt.Fprintf(d.out, "%s is deprecated. Please use %s instead\n", oldStringDecoder, stringDecoderClass)
		}
		return nil
	}
	return fmt.Errorf("decoder class %s is not available: this kafka-dump-log only has %s (UTF-8 text); for binary data use --output json or --deep-iteration without --print-data-log", class, stringDecoderClass)
}

func stringParser(r *recView) (key, payload *string, err error) {
	if r.key != nil {
		s := javaString(r.key)
		key = &s
	}
	if r.value != nil {
		s := javaString(r.value)
		payload = &s
	}
	return key, payload, nil
}

func offsetsParser(r *recView) (key, payload *string, err error) {
	return parseOffsetsRecord(r.offset, r.key, r.value)
}

func metadataParser(r *recView) (key, payload *string, err error) {
	var s string
	if r.value == nil {
		// Kafka dereferences the null value and reports the exception's
		// (absent) message.
		s = fmt.Sprintf("Error at %d, skipping. null", r.offset)
	} else if out, err := decodeMetadataRecord(r.value); err != nil {
		s = fmt.Sprintf("Error at %d, skipping. %s", r.offset, err.Error())
	} else {
		s = out
	}
	return nil, &s, nil
}

func txnLogParser(r *recView) (key, payload *string, err error) {
	return formatTxnRecord(r.key, r.value)
}
