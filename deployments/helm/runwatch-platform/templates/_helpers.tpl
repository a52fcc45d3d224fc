{{/* Names and labels. */}}

{{- define "platform.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "platform.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "platform.labels" -}}
{{ include "platform.selector" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* SQLite keeps its file on a volume: one replica, never two writers. */}}
{{- define "platform.sqlite" -}}
{{- if and (not .Values.database.url) (not .Values.database.existingSecret) -}}true{{- end -}}
{{- end -}}

{{- define "platform.secretName" -}}
{{- default (printf "%s-secrets" (include "platform.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "platform.databaseSecret" -}}
{{- default (printf "%s-database" (include "platform.fullname" .)) .Values.database.existingSecret -}}
{{- end -}}
