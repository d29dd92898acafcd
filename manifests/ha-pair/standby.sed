# The HA standby's Corefile is the primary's with its own metrics, health and status ports, so that each
# process is scraped and probed by itself (reusePort would spread requests over both):
#   sed -E -f standby.sed /etc/tsdns/Corefile > /etc/tsdns/Corefile.standby
s/^([[:space:]]*prometheus[[:space:]]+[^[:space:]]*:)9253[[:space:]]*$/\19254/
s/^([[:space:]]*(health|ready)[[:space:]]+[^[:space:]]*:)8080[[:space:]]*$/\18081/
s/^([[:space:]]*status[[:space:]]+127\.0\.0\.1:)9154[[:space:]]*$/\19155/
