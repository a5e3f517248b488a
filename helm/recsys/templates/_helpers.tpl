{{/* Names and shared snippets of the recsys chart. */}}

{{- define "recsys.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 45 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 45 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "recsys.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* An image reference: repository@digest, else repository:tag (the tag defaults to appVersion). Call with (list $ .Values.image.flink). */}}
{{- define "recsys.image" -}}
{{- $root := index . 0 -}}
{{- $image := index . 1 -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $image.repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $image.repository (default $root.Chart.AppVersion $image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "recsys.bootstrap" -}}
{{- required "kafka.bootstrap is required: the bootstrap servers of your Kafka cluster" .Values.kafka.bootstrap -}}
{{- end -}}

{{- define "recsys.registryClaim" -}}
{{- default (printf "%s-registry" (include "recsys.fullname" .)) .Values.registry.existingClaim -}}
{{- end -}}

{{/* Checkpoints go to the given URI, or to the chart's shared volume. */}}
{{- define "recsys.checkpointsOnVolume" -}}
{{- if not .Values.checkpoints.dir }}true{{ end -}}
{{- end -}}

{{- define "recsys.checkpointsClaim" -}}
{{- default (printf "%s-checkpoints" (include "recsys.fullname" .)) .Values.checkpoints.existingClaim -}}
{{- end -}}

{{- define "recsys.checkpointDir" -}}
{{- default "file:///checkpoints" .Values.checkpoints.dir | trimSuffix "/" -}}
{{- end -}}

{{/*
Kafka client settings. Every client of the release (the job, the topics hook, the trainer) reads
the same properties file with --client-config; secret values stay in the user's Secret, mounted
as files and referenced through Kafka's DirectoryConfigProvider, which resolves them when a client
starts. (Not in flinkConfiguration: config.providers and config.providers.directory.class are
overlapping keys, which the operator refuses for Flink 2.)
*/}}
{{- define "recsys.kafkaClientDir" -}}/etc/recsys/kafka/client{{- end -}}
{{- define "recsys.kafkaClientConfig" -}}/etc/recsys/kafka/client/client.properties{{- end -}}
{{- define "recsys.kafkaSecretDir" -}}/etc/recsys/kafka/secret{{- end -}}
{{- define "recsys.kafkaTlsDir" -}}/etc/recsys/kafka/tls{{- end -}}

{{/* Whether a Kafka client property holds a secret (Kafka's password-type client settings). */}}
{{- define "recsys.isSecretProperty" -}}
{{- $k := lower . -}}
{{- if or (contains "password" $k) (contains "jaas" $k) (contains "secret" $k) (eq $k "ssl.keystore.key") -}}true{{- end -}}
{{- end -}}

{{- define "recsys.kafkaClientProperties" -}}
{{- $kafka := .Values.kafka -}}
{{- if and $kafka.existingSecretKeys (not $kafka.existingSecret) -}}
{{- fail "kafka.existingSecretKeys needs kafka.existingSecret: the Secret that holds them" -}}
{{- end -}}
{{- if and $kafka.existingSecret (not $kafka.existingSecretKeys) -}}
{{- fail "kafka.existingSecret needs kafka.existingSecretKeys: the client properties it holds, e.g. [sasl.jaas.config]" -}}
{{- end -}}
# Kafka client properties of every client of this release; none is secret: secret values are
# read from the mounted Secret by Kafka's DirectoryConfigProvider when a client starts.
{{- range $k, $v := $kafka.clientProperties }}
{{- if include "recsys.isSecretProperty" $k }}
{{- fail (printf "kafka.clientProperties.%s holds a secret, which would be readable in a ConfigMap: put it in the Secret named by kafka.existingSecret and list %s in kafka.existingSecretKeys" $k $k) }}
{{- end }}
{{- if has $k $kafka.existingSecretKeys }}
{{- fail (printf "kafka.clientProperties.%s is also in kafka.existingSecretKeys: give it once" $k) }}
{{- end }}
{{ $k }}={{ $v }}
{{- end }}
{{- with $kafka.tls }}
{{- if and (or .truststore .keystore) (not .existingSecret) }}
{{- fail "kafka.tls.truststore and kafka.tls.keystore name keys of kafka.tls.existingSecret: set it" }}
{{- end }}
{{- if .truststore }}
ssl.truststore.location={{ include "recsys.kafkaTlsDir" $ }}/{{ .truststore }}
ssl.truststore.type={{ .truststoreType }}
{{- end }}
{{- if .keystore }}
ssl.keystore.location={{ include "recsys.kafkaTlsDir" $ }}/{{ .keystore }}
ssl.keystore.type={{ .keystoreType }}
{{- end }}
{{- end }}
{{- if $kafka.existingSecret }}
config.providers=directory
config.providers.directory.class=org.apache.kafka.common.config.provider.DirectoryConfigProvider
config.providers.directory.param.allowed.paths={{ include "recsys.kafkaSecretDir" . }}
{{- range $kafka.existingSecretKeys }}
{{ . }}=${directory:{{ include "recsys.kafkaSecretDir" $ }}:{{ . }}}
{{- end }}
{{- end }}
{{- end -}}

{{/* The pod template annotation that changes whenever the client properties do. */}}
{{- define "recsys.kafkaClientChecksum" -}}
checksum/kafka-client: {{ include "recsys.kafkaClientProperties" . | sha256sum }}
{{- end -}}

{{/* Volumes for the Kafka client settings; call with (list $ "configmap-name"). */}}
{{- define "recsys.kafkaVolumes" -}}
{{- $root := index . 0 -}}
- name: kafka-client
  configMap:
    name: {{ index . 1 }}
{{- with $root.Values.kafka.existingSecret }}
- name: kafka-secret
  secret:
    secretName: {{ . }}
    defaultMode: 288 # 0440: the owner (root) and the pod's fsGroup
{{- end }}
{{- with $root.Values.kafka.tls.existingSecret }}
- name: kafka-tls
  secret:
    secretName: {{ . }}
    defaultMode: 288
{{- end }}
{{- end -}}

{{- define "recsys.kafkaVolumeMounts" -}}
- name: kafka-client
  mountPath: {{ include "recsys.kafkaClientDir" . }}
  readOnly: true
{{- if .Values.kafka.existingSecret }}
- name: kafka-secret
  mountPath: {{ include "recsys.kafkaSecretDir" . }}
  readOnly: true
{{- end }}
{{- if .Values.kafka.tls.existingSecret }}
- name: kafka-tls
  mountPath: {{ include "recsys.kafkaTlsDir" . }}
  readOnly: true
{{- end }}
{{- end -}}

{{/*
Security contexts that the "restricted" Pod Security Standard admits. Both images run as uid and
gid 9999 (the Flink image's flink user, the CLI image's recsys user); volumes become writable for
that group through fsGroup.
*/}}
{{- define "recsys.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 9999
runAsGroup: 9999
fsGroup: 9999
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "recsys.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Environment of the recsys CLI containers. */}}
{{- define "recsys.cliEnv" -}}
- name: RECSYS_BOOTSTRAP
  value: {{ include "recsys.bootstrap" . | quote }}
- name: RECSYS_REGISTRY
  value: /registry
{{- end -}}

{{/* A Flink configuration value as text: whole numbers without an exponent (YAML numbers arrive as floats). */}}
{{- define "recsys.confValue" -}}
{{- if and (kindIs "float64" .) (eq . (float64 (int64 .))) -}}
{{- int64 . -}}
{{- else -}}
{{- . -}}
{{- end -}}
{{- end -}}
