{{/* Name of every resource: fullnameOverride, else the release name (src/manifests/resources.ts fullname). */}}
{{- define "sidecar-injector.fullname" -}}
{{- .Values.fullnameOverride | default .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{- define "sidecar-injector.selectorLabels" -}}
app.kubernetes.io/name: sidecar-injector
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "sidecar-injector.labels" -}}
{{ include "sidecar-injector.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | quote }}
app.kubernetes.io/component: webhook
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "sidecar-injector.tlsSecretName" -}}
{{- .Values.certificates.secretName | default (printf "%s-tls" (include "sidecar-injector.fullname" .)) -}}
{{- end }}
