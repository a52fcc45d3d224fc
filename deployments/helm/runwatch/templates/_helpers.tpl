{{/* Names and labels shared by the controller and the sensor. */}}

{{- define "runwatch.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "runwatch.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "runwatch.controller.name" -}}
{{- printf "%s-controller" (include "runwatch.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "runwatch.controller.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end -}}

{{- define "runwatch.controller.serviceAccount" -}}
{{- default (include "runwatch.controller.name" .) .Values.controller.serviceAccount.name -}}
{{- end -}}

{{/* The Secret holding the registration token: the chart's, or the user's. */}}
{{- define "runwatch.tokenSecret" -}}
{{- if .Values.platform.existingSecret -}}
{{- .Values.platform.existingSecret -}}
{{- else -}}
{{- printf "%s-registration" (include "runwatch.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "runwatch.tokenSecretKey" -}}
{{- if .Values.platform.existingSecret -}}{{ .Values.platform.existingSecretKey }}{{- else -}}token{{- end -}}
{{- end -}}

{{/* The Secret or ConfigMap holding the CA bundle, if any. */}}
{{- define "runwatch.caSecret" -}}
{{- if .Values.platform.tls.caSecret -}}
{{- .Values.platform.tls.caSecret -}}
{{- else if .Values.platform.tls.caBundle -}}
{{- printf "%s-platform-ca" (include "runwatch.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Checks every agent needs, with messages that say what to set. */}}
{{- define "runwatch.validate" -}}
{{- if not .Values.platform.url -}}
{{- fail "platform.url is required: the URL of the Runwatch platform, e.g. --set platform.url=https://runwatch.example.com" -}}
{{- end -}}
{{- if not (or (hasPrefix "https://" .Values.platform.url) (hasPrefix "http://" .Values.platform.url)) -}}
{{- fail (printf "platform.url %q must start with https:// (or http:// for a lab)" .Values.platform.url) -}}
{{- end -}}
{{- $sensorOwnSecret := and .Values.sensor.enabled .Values.sensor.platform.tokenSecret -}}
{{- $needToken := or .Values.controller.enabled (and .Values.sensor.enabled (not $sensorOwnSecret)) -}}
{{- if and $needToken (not .Values.platform.token) (not .Values.platform.existingSecret) -}}
{{- fail "a registration token is required: set platform.token, or platform.existingSecret to a Secret holding it" -}}
{{- end -}}
{{- if and .Values.platform.token .Values.platform.existingSecret -}}
{{- fail "set platform.token or platform.existingSecret, not both" -}}
{{- end -}}
{{- end -}}

{{/* Environment shared by the agents: where the platform is, how to reach it. */}}
{{- define "runwatch.platformEnv" -}}
- name: RUNWATCH_PLATFORM
  value: {{ .Values.platform.url | quote }}
- name: RUNWATCH_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "runwatch.tokenSecret" . }}
      key: {{ include "runwatch.tokenSecretKey" . }}
{{- if include "runwatch.caSecret" . }}
- name: RUNWATCH_CA_FILE
  value: /etc/runwatch/ca/ca.crt
{{- end }}
{{- if .Values.platform.tls.clientCertSecret }}
- name: RUNWATCH_CLIENT_CERT
  value: /etc/runwatch/client/tls.crt
- name: RUNWATCH_CLIENT_KEY
  value: /etc/runwatch/client/tls.key
{{- end }}
{{- if .Values.platform.tls.insecureSkipVerify }}
- name: RUNWATCH_INSECURE_SKIP_VERIFY
  value: "true"
{{- end }}
{{- end -}}

{{- define "runwatch.platformVolumeMounts" -}}
{{- if include "runwatch.caSecret" . }}
- name: platform-ca
  mountPath: /etc/runwatch/ca
  readOnly: true
{{- end }}
{{- if .Values.platform.tls.clientCertSecret }}
- name: platform-client-cert
  mountPath: /etc/runwatch/client
  readOnly: true
{{- end }}
{{- end -}}

{{- define "runwatch.platformVolumes" -}}
{{- if include "runwatch.caSecret" . }}
- name: platform-ca
  secret:
    secretName: {{ include "runwatch.caSecret" . }}
    items:
    - key: ca.crt
      path: ca.crt
{{- end }}
{{- if .Values.platform.tls.clientCertSecret }}
- name: platform-client-cert
  secret:
    secretName: {{ .Values.platform.tls.clientCertSecret }}
{{- end }}
{{- end -}}
