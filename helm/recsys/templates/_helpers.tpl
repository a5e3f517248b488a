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

{{/* Environment of the recsys CLI containers (hooks). */}}
{{- define "recsys.cliEnv" -}}
- name: RECSYS_BOOTSTRAP
  value: {{ include "recsys.bootstrap" . | quote }}
- name: RECSYS_REGISTRY
  value: /registry
{{- end -}}

{{/* --client-property flags for the recsys CLI. */}}
{{- define "recsys.clientPropertyArgs" -}}
{{- range $k, $v := .Values.kafka.clientProperties }}
- --client-property
- {{ printf "%s=%v" $k $v | quote }}
{{- end -}}
{{- end -}}
