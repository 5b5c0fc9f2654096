package dumplog

import "github.com/kafkakit/kafkakit/internal/record"

// jsonLine writes one JSON object on its own line of stdout.
func (d *dumper) jsonLine(o *jobj) {
	_, _ = d.out.WriteString(jsonString(o))
	_ = d.out.WriteByte('\n')
}

// jsonBatch is the --output json object of one batch or legacy message,
// without its records.
func jsonBatch(path string, e *record.Entry, position int, valid bool) *jobj {
	o := &jobj{}
	o.set("file", path)
	o.set("position", int64(position))
	if e.Magic >= 2 {
		h := &e.Header
		o.set("baseOffset", h.BaseOffset)
		o.set("lastOffset", h.LastOffset())
		o.set("count", int64(h.NumRecords))
	} else {
		o.set("baseOffset", nil)
		o.set("lastOffset", e.LastOffset())
		o.set("count", nil)
	}
	o.set("magic", int64(e.Magic))
	o.set("size", int64(e.Size()))
	o.set("crc", int64(e.CRC()))
	o.set("crcValid", valid)
	o.set("compression", e.Codec().String())
	o.set("timestampType", e.TimestampType().String())
	o.set("maxTimestamp", e.MaxTimestamp())
	if e.Magic >= 2 {
		h := &e.Header
		o.set("baseTimestamp", h.BaseTimestamp)
		o.set("partitionLeaderEpoch", int64(h.PartitionLeaderEpoch))
		o.set("producerId", h.ProducerID)
		o.set("producerEpoch", int64(h.ProducerEpoch))
		o.set("baseSequence", int64(h.BaseSequence))
		o.set("lastSequence", int64(h.LastSequence()))
		o.set("isTransactional", h.IsTransactional())
		o.set("isControl", h.IsControl())
		if dh, ok := h.DeleteHorizonMs(); ok {
			o.set("deleteHorizonMs", dh)
		} else {
			o.set("deleteHorizonMs", nil)
		}
	}
	return o
}

// jsonRecord is the --output json object of one record.
func (lf *logFile) jsonRecord(e *record.Entry, r *recView) (*jobj, error) {
	o := &jobj{}
	o.set("offset", r.offset)
	o.set("timestamp", r.timestamp)
	o.set("keySize", int64(r.keySize()))
	o.set("valueSize", int64(r.valueSize()))
	control := e.Magic >= 2 && e.Header.IsControl()
	if e.Magic >= 2 {
		o.set("sequence", int64(r.sequence))
		keys := make([]any, len(r.headers))
		for i, h := range r.headers {
			keys[i] = javaString(h.Key)
		}
		o.set("headerKeys", keys)
	}
	if r.legacy {
		o.set("crc", int64(r.legacyCRC))
		o.set("crcValid", r.legacyValid)
	}
	if control {
		c, err := controlJSON(r.key, r.value)
		if err != nil {
			return nil, err
		}
		o.set("control", c)
	}
	if lf.printing && !control {
		key, payload, err := lf.parser(r)
		if err != nil {
			return nil, err
		}
		if key != nil {
			o.set("key", *key)
		}
		if payload != nil {
			o.set("payload", *payload)
		}
	}
	return o, nil
}

func jsonIndexEntry(path string, offset int64, position int32) *jobj {
	o := &jobj{}
	o.set("file", path)
	o.set("type", "offset-index")
	o.set("offset", offset)
	o.set("position", int64(position))
	return o
}

func jsonTimeIndexEntry(path string, ts, offset int64) *jobj {
	o := &jobj{}
	o.set("file", path)
	o.set("type", "time-index")
	o.set("timestamp", ts)
	o.set("offset", offset)
	return o
}

func jsonProducerEntry(path string, e producerEntry) *jobj {
	o := &jobj{}
	o.set("file", path)
	o.set("type", "producer-snapshot")
	o.set("producerId", e.producerID)
	o.set("producerEpoch", int64(e.epoch))
	o.set("coordinatorEpoch", int64(e.coordinatorEpoch))
	if e.currentTxnFirstOffset >= 0 {
		o.set("currentTxnFirstOffset", e.currentTxnFirstOffset)
	} else {
		o.set("currentTxnFirstOffset", nil)
	}
	o.set("lastTimestamp", e.timestamp)
	if e.lastOffset >= 0 {
		o.set("firstSequence", int64(e.firstSequence()))
		o.set("lastSequence", int64(e.lastSequence))
		o.set("lastOffset", e.lastOffset)
		o.set("offsetDelta", int64(e.offsetDelta))
		o.set("timestamp", e.timestamp)
	}
	return o
}

func jsonAbortedTxn(path string, t abortedTxn) *jobj {
	o := &jobj{}
	o.set("file", path)
	o.set("type", "aborted-txn")
	o.set("version", int64(t.version))
	o.set("producerId", t.producerID)
	o.set("firstOffset", t.firstOffset)
	o.set("lastOffset", t.lastOffset)
	o.set("lastStableOffset", t.lastStable)
	return o
}
