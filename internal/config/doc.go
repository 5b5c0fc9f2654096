// Package config is kafkakit's one registry of configuration: every broker,
// topic, client quota and client-metrics config Apache Kafka 3.9 defines
// that this project uses or a user will set, with Kafka's names, types,
// defaults, valid values, importance and dynamic update modes. Everything
// config-related reads it: server.properties parsing
// (ParseServerProperties), validation (ValidateTopicConfigs,
// ValidateBrokerDynamic, ValidateQuota, ValidateLogLevel), effective values
// with Kafka's precedence (Layers, Layers.Topic), DescribeConfigs entries
// with sources and synonyms (DescribeBroker, DescribeClusterDefault,
// DescribeTopic), the tools' help (TopicConfigHelp, AddConfigHelp) and the
// generated reference docs/configs.md (RenderMarkdown). No other list of
// configs exists in the project.
//
// Invariants: the definition tables are package-level and never change;
// every exported accessor returns copies. Layers and TopicConfig are
// immutable values, safe to share between goroutines and to swap
// atomically. Parsing follows Kafka's ConfigDef (values are trimmed,
// booleans are case-insensitive, integers must fit their type, lists split
// on commas), and every rejected input yields an *Error whose message is
// the text Kafka gives for it; nothing here panics on input.
//
// The package knows nothing of the wire: Source, Type and OpType carry
// Kafka's wire ids so the broker can convert without tables, and errors
// say which Kafka error code applies through ErrInvalidConfig and
// ErrInvalidRequest.
package config
