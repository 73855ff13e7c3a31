// crewjamread: reads SAMLResponses the way Fleet's Go stack does (crewjam/saml on etree, goxmldsig, xml-roundtrip-validator), one JSON line per case.
//
// Purpose. samlscope predicts what Fleet will do with a SAML callback. This program is the oracle for that
// prediction in test/xml-differential.test.ts: it follows the path of crewjam/saml 0.5's
// ServiceProvider.ParseXMLResponse → parseResponse → parseAssertion → validateAssertion as Fleet ≥ 4.71 configures
// it (EntityID, AcsURL, IDP metadata, AllowIDPInitiated, and Fleet's ValidateAudienceRestriction hook), written from
// reading crewjam's source, not copied from it. Built from Debian packages in GOPATH mode (no module proxy):
//
//	GO111MODULE=off GOPATH=<tmp>:/usr/share/gocode go build -o crewjamread ./main.go
//
// Protocol. stdin: one JSON object per line
//
//	{"id","xmlBase64","certsPem":[..],"idpEntityId","entityId","acsUrl","audiences":[..],"requestIds":[..],"allowIdpInitiated","now"}
//
// stdout: one JSON object per line, same order:
//
//	{"id","ok","stage","error","panic","issuer","responseIssuer","nameId","audiences","destination","recipient","inResponseTo",...}
//
// A panic inside one case is recovered and reported as {"ok":false,"panic":true}: in Fleet the same panic ends the
// login (status=error), which is what the differential test compares.
//
// What is mirrored, step by step (crewjam names in brackets):
//  1. xrv.Validate on the raw bytes (the round-trip validator; refuses e.g. an empty CDATA section and namespace
//     tricks that encoding/xml would not re-emit identically). encoding/xml underneath refuses version="1.1", illegal
//     XML 1.0 characters (also via character references) and undefined entities.
//  2. etree.ReadFromBytes, root must exist [ParseXMLResponse]; then Fleet's bounds (depth ≤ 100, ≤ 5000 elements).
//     Debian's etree 1.1.0 accepts an end tag that closes nothing open and elements left open at the end of the input;
//     the etree crewjam 0.5 requires refuses both (ErrXML): compensated by a nesting check before the parse.
//  3. Response signature [validateSignature]: at most one direct dsig:Signature child (findChild), KeyInfo removed when it
//     holds no X509Certificate, NSDetatch, goxmldsig Validate with IdAttribute "ID" and a fixed clock.
//  4. Response fields read by unmarshalling the element through crewjam's elementToBytes (a copy of the element with
//     the prefix→namespace pairs of every element in the document re-declared on its root; etree's "//*" walks
//     breadth first, so a prefix bound to two namespaces ends up bound to the one of the deepest, last element: crewjam's
//     prefix-rebinding quirk; and etree writes a CR from &#13; unescaped, so the value read back has LF) into crewjam-like structs
//     with encoding/xml: a repeated singleton element overwrites the earlier one, so the *last* Issuer, Subject,
//     NameID, Audience wins. Destination (required when signed), InResponseTo, IssueInstant + 90 s, Issuer exact
//     (no trimming), Status.
//  5. Every plaintext Assertion child: signature required unless the Response signature verified; then unmarshalled
//     the same way and checked [validateAssertion]: IssueInstant + 90 s, Issuer exact, every SubjectConfirmation's
//     SubjectConfirmationData (a missing one is dereferenced as crewjam does: panic), Conditions times ± 180 s, and
//     Fleet's audience rule (Conditions and an AudienceRestriction required, some Audience one of Fleet's). The first
//     valid assertion is used; EncryptedAssertion always fails (Fleet has no SP key).
//  6. Fleet then needs a non-empty NameID value (the user's email).
//
// goxmldsig: crewjam 0.5 requires 1.4.0, Debian ships 1.2.0. Differences that matter here and what this program does:
//   - 1.2.0 dereferences nil parts of malformed Signatures (missing SignatureValue/Reference pieces) and panics where
//     1.4.0 returns an error (GHSA/CVE fixes after 1.2.0). Compensated: panics inside the goxmldsig call are recovered
//     and reported as a signature error ("stage":"signature"), not as "panic"; either way Fleet refuses the login.
//   - 1.2.0 verifies RSA keys only ("Invalid public key"); 1.4.0 also verifies ECDSA. Not compensated: the test keys
//     in certs/ are RSA, so no case depends on it.
//   - Both canonicalise with etree's escaping (text: & < > CR; attributes: & < " TAB LF CR), so U+2028/U+0085 are
//     digested as the characters they are, and processing instructions as <?target data?>. Where goxmldsig departs
//     from XML-C14N (it keeps a redundant xmlns="" on an unprefixed element when no default namespace was rendered
//     above it) this program simply is goxmldsig: samlscope predicts that as SAML_FLEET_QUIRK_EMPTY_DEFAULT_NAMESPACE.
//
// crewjam version note: later crewjam revisions re-declare only the namespaces in scope on the element's ancestors in
// elementToBytes (no rebinding quirk); this program mirrors the document-wide variant and says so in its output
// ("crewjamElementToBytes":"document") so a change is visible.
package main

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/beevik/etree"
	xrv "github.com/mattermost/xml-roundtrip-validator"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

const (
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsDsig      = "http://www.w3.org/2000/09/xmldsig#"
	statusOK    = "urn:oasis:names:tc:SAML:2.0:status:Success"

	maxIssueDelay = 90 * time.Second
	maxClockSkew  = 180 * time.Second
)

type request struct {
	ID                string   `json:"id"`
	XMLBase64         string   `json:"xmlBase64"`
	CertsPem          []string `json:"certsPem"`
	IdpEntityID       string   `json:"idpEntityId"`
	EntityID          string   `json:"entityId"`
	AcsURL            string   `json:"acsUrl"`
	Audiences         []string `json:"audiences"`
	RequestIDs        []string `json:"requestIds"`
	AllowIdpInitiated bool     `json:"allowIdpInitiated"`
	Now               string   `json:"now"`
}

type result struct {
	ID                    string   `json:"id"`
	OK                    bool     `json:"ok"`
	Stage                 string   `json:"stage,omitempty"`
	Error                 string   `json:"error,omitempty"`
	Panic                 bool     `json:"panic"`
	Issuer                *string  `json:"issuer"`
	ResponseIssuer        *string  `json:"responseIssuer"`
	NameID                *string  `json:"nameId"`
	Audiences             []string `json:"audiences"`
	Destination           string   `json:"destination"`
	Recipient             *string  `json:"recipient"`
	InResponseTo          string   `json:"inResponseTo"`
	IssueInstant          string   `json:"issueInstant,omitempty"`
	NotBefore             string   `json:"notBefore,omitempty"`
	NotOnOrAfter          string   `json:"notOnOrAfter,omitempty"`
	ResponseSigned        bool     `json:"responseSigned"`
	AssertionSigned       bool     `json:"assertionSignatureVerified"`
	CrewjamElementToBytes string   `json:"crewjamElementToBytes"`
}

// ---- crewjam-like schema (field shapes as crewjam declares them: pointers and singletons where crewjam has them)

// relaxedTime parses times the way crewjam's RelaxedTime does: empty is the zero time, else RFC 3339, RFC 1123 or a
// zone-less ISO form; anything else is an unmarshalling error.
type relaxedTime struct{ time.Time }

func (t *relaxedTime) UnmarshalXMLAttr(a xml.Attr) error {
	s := a.Value
	if s == "" {
		t.Time = time.Time{}
		return nil
	}
	for _, layout := range []string{time.RFC3339, time.RFC1123, "2006-01-02T15:04:05.999999999"} {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time = v
			return nil
		}
	}
	_, err := time.Parse(time.RFC3339, s)
	return err
}

type issuer struct {
	Format string `xml:",attr"`
	Value  string `xml:",chardata"`
}

type statusCode struct {
	Value      string      `xml:",attr"`
	StatusCode *statusCode `xml:"urn:oasis:names:tc:SAML:2.0:protocol StatusCode"`
}

type status struct {
	StatusCode statusCode `xml:"urn:oasis:names:tc:SAML:2.0:protocol StatusCode"`
}

type response struct {
	XMLName      xml.Name    `xml:"urn:oasis:names:tc:SAML:2.0:protocol Response"`
	ID           string      `xml:",attr"`
	InResponseTo string      `xml:",attr"`
	Version      string      `xml:",attr"`
	IssueInstant relaxedTime `xml:",attr"`
	Destination  string      `xml:",attr"`
	Issuer       *issuer     `xml:"urn:oasis:names:tc:SAML:2.0:assertion Issuer"`
	Status       status      `xml:"urn:oasis:names:tc:SAML:2.0:protocol Status"`
	Assertion    *assertion  `xml:"urn:oasis:names:tc:SAML:2.0:assertion Assertion"`
}

type nameID struct {
	Format string `xml:",attr"`
	Value  string `xml:",chardata"`
}

type subjectConfirmationData struct {
	NotBefore    relaxedTime `xml:",attr"`
	NotOnOrAfter relaxedTime `xml:",attr"`
	Recipient    string      `xml:",attr"`
	InResponseTo string      `xml:",attr"`
}

type subjectConfirmation struct {
	Method                  string                   `xml:",attr"`
	SubjectConfirmationData *subjectConfirmationData `xml:"urn:oasis:names:tc:SAML:2.0:assertion SubjectConfirmationData"`
}

type subject struct {
	NameID               *nameID               `xml:"urn:oasis:names:tc:SAML:2.0:assertion NameID"`
	SubjectConfirmations []subjectConfirmation `xml:"urn:oasis:names:tc:SAML:2.0:assertion SubjectConfirmation"`
}

type audience struct {
	Value string `xml:",chardata"`
}

type audienceRestriction struct {
	Audience audience `xml:"urn:oasis:names:tc:SAML:2.0:assertion Audience"`
}

type conditions struct {
	NotBefore            relaxedTime           `xml:",attr"`
	NotOnOrAfter         relaxedTime           `xml:",attr"`
	AudienceRestrictions []audienceRestriction `xml:"urn:oasis:names:tc:SAML:2.0:assertion AudienceRestriction"`
}

type attributeValue struct {
	Value string `xml:",chardata"`
}

type attribute struct {
	Name   string           `xml:",attr"`
	Values []attributeValue `xml:"urn:oasis:names:tc:SAML:2.0:assertion AttributeValue"`
}

type attributeStatement struct {
	Attributes []attribute `xml:"urn:oasis:names:tc:SAML:2.0:assertion Attribute"`
}

type assertion struct {
	XMLName             xml.Name             `xml:"urn:oasis:names:tc:SAML:2.0:assertion Assertion"`
	ID                  string               `xml:",attr"`
	IssueInstant        relaxedTime          `xml:",attr"`
	Version             string               `xml:",attr"`
	Issuer              issuer               `xml:"urn:oasis:names:tc:SAML:2.0:assertion Issuer"`
	Subject             *subject             `xml:"urn:oasis:names:tc:SAML:2.0:assertion Subject"`
	Conditions          *conditions          `xml:"urn:oasis:names:tc:SAML:2.0:assertion Conditions"`
	AttributeStatements []attributeStatement `xml:"urn:oasis:names:tc:SAML:2.0:assertion AttributeStatement"`
}

// ---- the service provider as Fleet configures crewjam

type serviceProvider struct {
	idpEntityID       string
	acsURL            string
	audiences         map[string]bool
	requestIDs        []string
	allowIdpInitiated bool
	certs             []*x509.Certificate
	now               time.Time
}

type stageError struct {
	stage string
	err   error
}

func (e *stageError) Error() string { return e.stage + ": " + e.err.Error() }

func fail(stage string, err error) error { return &stageError{stage, err} }

var errSignatureElementNotPresent = errors.New("signature element not present")

// findChildren: direct children with this local name whose prefix resolves to ns (crewjam's findChildren).
func findChildren(parent *etree.Element, ns, tag string) ([]*etree.Element, error) {
	var out []*etree.Element
	for _, c := range parent.ChildElements() {
		if c.Tag != tag {
			continue
		}
		ctx, err := etreeutils.NSBuildParentContext(c)
		if err != nil {
			return nil, err
		}
		ctx, err = ctx.SubContext(c)
		if err != nil {
			return nil, err
		}
		got, err := ctx.LookupPrefix(c.Space)
		if err != nil {
			return nil, fmt.Errorf("[%s]:%s cannot find prefix %s: %v", ns, tag, c.Space, err)
		}
		if got == ns {
			out = append(out, c)
		}
	}
	return out, nil
}

// findChild: at most one such child (crewjam's findChild).
func findChild(parent *etree.Element, ns, tag string) (*etree.Element, error) {
	cs, err := findChildren(parent, ns, tag)
	if err != nil {
		return nil, err
	}
	switch len(cs) {
	case 0:
		return nil, nil
	case 1:
		return cs[0], nil
	default:
		return nil, fmt.Errorf("expected at most one %s:%s element", ns, tag)
	}
}

// etreeNestingCheck: what newer etree's ReadFrom refuses and Debian's etree 1.1.0 lets through: an end tag that does
// not close the open element, and elements still open at the end of the input (ErrXML in etree ≥ 1.2).
func etreeNestingCheck(raw []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(raw))
	dec.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	var open []xml.Name
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			if len(open) != 0 {
				return errors.New("etree: invalid XML format (unclosed element)")
			}
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			open = append(open, t.Name)
		case xml.EndElement:
			if len(open) == 0 || open[len(open)-1] != t.Name {
				return errors.New("etree: invalid XML format (mismatched end tag)")
			}
			open = open[:len(open)-1]
		}
	}
}

// fleetLimits: Fleet's own bounds before any SAML check (PR #47463): nesting depth ≤ 100 and ≤ 5000 elements.
func fleetLimits(root *etree.Element) error {
	count := 0
	var walk func(e *etree.Element, depth int) error
	walk = func(e *etree.Element, depth int) error {
		count++
		if depth > 100 {
			return errors.New("XML nested deeper than 100")
		}
		if count > 5000 {
			return errors.New("more than 5000 XML elements")
		}
		for _, c := range e.ChildElements() {
			if err := walk(c, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(root, 1)
}

// goxmldsigValidate runs goxmldsig 1.2.0's Validate and turns its panics into errors, as 1.4.0 returns them.
func goxmldsigValidate(ctx *dsig.ValidationContext, el *etree.Element) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("goxmldsig 1.2.0 panicked (1.4.0 returns an error): %v", r)
		}
	}()
	_, err = ctx.Validate(el)
	return err
}

// validateSignature: the enveloped Signature that is a direct child of el must verify with a trusted cert.
func (sp *serviceProvider) validateSignature(el *etree.Element) error {
	sigEl, err := findChild(el, nsDsig, "Signature")
	if err != nil {
		return err
	}
	if sigEl == nil {
		return errSignatureElementNotPresent
	}
	store := dsig.MemoryX509CertificateStore{Roots: sp.certs}
	vc := dsig.NewDefaultValidationContext(&store)
	vc.IdAttribute = "ID"
	vc.Clock = dsig.NewFakeClockAt(sp.now)
	if el.FindElement("./Signature/KeyInfo/X509Data/X509Certificate") == nil {
		if s := el.FindElement("./Signature"); s != nil {
			if ki := s.FindElement("KeyInfo"); ki != nil {
				s.RemoveChild(ki)
			}
		}
	}
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return fmt.Errorf("cannot validate signature on %s: %v", el.Tag, err)
	}
	ctx, err = ctx.SubContext(el)
	if err != nil {
		return fmt.Errorf("cannot validate signature on %s: %v", el.Tag, err)
	}
	detached, err := etreeutils.NSDetatch(ctx, el)
	if err != nil {
		return fmt.Errorf("cannot validate signature on %s: %v", el.Tag, err)
	}
	if err := goxmldsigValidate(vc, detached); err != nil {
		return fmt.Errorf("cannot validate signature on %s: %v", el.Tag, err)
	}
	return nil
}

// elementToBytes: a copy of el as the root of a new document, with every prefix→namespace pair seen on any element
// of the whole document declared on it (the last binding of a prefix wins).
func elementToBytes(el *etree.Element) ([]byte, error) {
	namespaces := map[string]string{}
	for _, c := range el.FindElements("//*") {
		if ns := c.NamespaceURI(); ns != "" {
			namespaces[c.Space] = ns
		}
	}
	doc := etree.NewDocument()
	doc.SetRoot(el.Copy())
	for space, uri := range namespaces {
		doc.Root().CreateAttr("xmlns:"+space, uri)
	}
	return doc.WriteToBytes()
}

func unmarshalElement(el *etree.Element, v interface{}) error {
	buf, err := elementToBytes(el)
	if err != nil {
		return err
	}
	return xml.Unmarshal(buf, v)
}

func (sp *serviceProvider) requestIDValid(id string) bool {
	for _, r := range sp.requestIDs {
		if id == r {
			return true
		}
	}
	return false
}

// validateAudiences: Fleet's hook: Conditions with an AudienceRestriction, and some Audience is one Fleet accepts.
func (sp *serviceProvider) validateAudiences(a *assertion) error {
	if a.Conditions == nil || len(a.Conditions.AudienceRestrictions) == 0 {
		return errors.New("missing audience restriction")
	}
	for _, ar := range a.Conditions.AudienceRestrictions {
		if sp.audiences[ar.Audience.Value] {
			return nil
		}
	}
	return errors.New("no audience matches")
}

// validateAssertion: crewjam's checks on one unmarshalled assertion, nil dereferences included.
func (sp *serviceProvider) validateAssertion(a *assertion) error {
	now := sp.now
	if a.IssueInstant.Add(maxIssueDelay).Before(now) {
		return fmt.Errorf("expired on %s", a.IssueInstant.Add(maxIssueDelay))
	}
	if a.Issuer.Value != sp.idpEntityID {
		return fmt.Errorf("issuer is not %q", sp.idpEntityID)
	}
	for _, sc := range a.Subject.SubjectConfirmations {
		if !sp.allowIdpInitiated && !sp.requestIDValid(sc.SubjectConfirmationData.InResponseTo) {
			return errors.New("assertion SubjectConfirmation InResponseTo is not a possible request ID")
		}
		if sc.SubjectConfirmationData.Recipient != sp.acsURL {
			return fmt.Errorf("assertion SubjectConfirmation Recipient is not %s", sp.acsURL)
		}
		if sc.SubjectConfirmationData.NotOnOrAfter.Add(maxClockSkew).Before(now) {
			return errors.New("assertion SubjectConfirmationData is expired")
		}
	}
	if a.Conditions.NotBefore.Add(-maxClockSkew).After(now) {
		return errors.New("assertion Conditions is not yet valid")
	}
	if a.Conditions.NotOnOrAfter.Add(maxClockSkew).Before(now) {
		return errors.New("assertion Conditions is expired")
	}
	return sp.validateAudiences(a)
}

func (sp *serviceProvider) parseAssertion(el *etree.Element, signatureRequired bool) (*assertion, error) {
	if signatureRequired {
		if err := sp.validateSignature(el); err != nil {
			return nil, err
		}
	}
	var a assertion
	if err := unmarshalElement(el, &a); err != nil {
		return nil, err
	}
	if err := sp.validateAssertion(&a); err != nil {
		return nil, err
	}
	return &a, nil
}

type parsed struct {
	resp            response
	assertion       *assertion
	responseSigned  bool
	assertionSigned bool
}

// parseXMLResponse: the whole path for one decoded SAMLResponse.
func (sp *serviceProvider) parseXMLResponse(raw []byte, out *parsed) error {
	if err := xrv.Validate(bytes.NewReader(raw)); err != nil {
		return fail("roundtrip", err)
	}
	if err := etreeNestingCheck(raw); err != nil {
		return fail("parse", err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		return fail("parse", err)
	}
	root := doc.Root()
	if root == nil {
		return fail("parse", errors.New("invalid xml: no root"))
	}
	if err := fleetLimits(root); err != nil {
		return fail("fleet", err)
	}
	respSigErr := sp.validateSignature(root)
	hasSig := respSigErr != errSignatureElementNotPresent
	if err := unmarshalElement(root, &out.resp); err != nil {
		return fail("unmarshal", fmt.Errorf("cannot unmarshal response: %v", err))
	}
	r := &out.resp
	if hasSig || r.Destination != "" {
		if r.Destination != sp.acsURL {
			return fail("response", fmt.Errorf("Destination does not match AcsURL (actual %q)", r.Destination))
		}
	}
	if !sp.allowIdpInitiated && !sp.requestIDValid(r.InResponseTo) {
		return fail("response", errors.New("InResponseTo does not match any of the possible request IDs"))
	}
	if r.IssueInstant.Add(maxIssueDelay).Before(sp.now) {
		return fail("response", errors.New("response IssueInstant expired"))
	}
	if r.Issuer != nil && r.Issuer.Value != sp.idpEntityID {
		return fail("response", fmt.Errorf("response Issuer does not match the IDP metadata (actual %q)", r.Issuer.Value))
	}
	if r.Status.StatusCode.Value != statusOK {
		return fail("response", fmt.Errorf("status %s", r.Status.StatusCode.Value))
	}
	signatureRequired := true
	switch respSigErr {
	case nil:
		signatureRequired = false
		out.responseSigned = true
	case errSignatureElementNotPresent:
	default:
		return fail("signature", respSigErr)
	}
	var errs []error
	enc, err := findChildren(root, nsAssertion, "EncryptedAssertion")
	if err != nil {
		return fail("assertion", err)
	}
	for range enc {
		errs = append(errs, errors.New("failed to decrypt EncryptedAssertion: Fleet has no SP key"))
	}
	els, err := findChildren(root, nsAssertion, "Assertion")
	if err != nil {
		return fail("assertion", err)
	}
	for _, el := range els {
		a, err := sp.parseAssertion(el, signatureRequired)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if out.assertion == nil {
			out.assertion = a
			out.assertionSigned = signatureRequired
		}
	}
	if out.assertion == nil {
		if len(errs) > 0 {
			return fail("assertion", errs[0])
		}
		return fail("assertion", errors.New("expected at least one valid Assertion, none found"))
	}
	// Fleet: the NameID value is the user's email; an absent or empty one fails the login
	if out.assertion.Subject.NameID == nil || out.assertion.Subject.NameID.Value == "" {
		return fail("fleet", errors.New("missing user id"))
	}
	return nil
}

func parseCerts(pems []string) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for _, p := range pems {
		block, _ := pem.Decode([]byte(p))
		if block == nil {
			return nil, errors.New("certsPem: not PEM")
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	return certs, nil
}

func str(s string) *string { return &s }

// fill copies what Fleet would read into the result (only what was reached).
func fill(res *result, p *parsed) {
	r := &p.resp
	res.Destination = r.Destination
	res.InResponseTo = r.InResponseTo
	if r.Issuer != nil {
		res.ResponseIssuer = str(r.Issuer.Value)
	}
	res.ResponseSigned = p.responseSigned
	res.AssertionSigned = p.assertionSigned
	a := p.assertion
	if a == nil {
		return
	}
	res.Issuer = str(a.Issuer.Value)
	if !a.IssueInstant.IsZero() {
		res.IssueInstant = a.IssueInstant.UTC().Format(time.RFC3339Nano)
	}
	if a.Subject != nil {
		if a.Subject.NameID != nil {
			res.NameID = str(a.Subject.NameID.Value)
		}
		for _, sc := range a.Subject.SubjectConfirmations {
			if sc.SubjectConfirmationData != nil {
				res.Recipient = str(sc.SubjectConfirmationData.Recipient)
				break
			}
		}
	}
	if a.Conditions != nil {
		res.Audiences = []string{}
		for _, ar := range a.Conditions.AudienceRestrictions {
			res.Audiences = append(res.Audiences, ar.Audience.Value)
		}
		if !a.Conditions.NotBefore.IsZero() {
			res.NotBefore = a.Conditions.NotBefore.UTC().Format(time.RFC3339Nano)
		}
		if !a.Conditions.NotOnOrAfter.IsZero() {
			res.NotOnOrAfter = a.Conditions.NotOnOrAfter.UTC().Format(time.RFC3339Nano)
		}
	}
}

// runCase judges one request; a panic anywhere is the login failing, as in Fleet.
func runCase(req request) (res result) {
	res = result{ID: req.ID, CrewjamElementToBytes: "document"}
	var p parsed
	defer func() {
		if r := recover(); r != nil {
			res = result{ID: req.ID, OK: false, Stage: "panic", Error: fmt.Sprint(r), Panic: true, CrewjamElementToBytes: "document"}
		}
	}()
	raw, err := base64.StdEncoding.DecodeString(req.XMLBase64)
	if err != nil {
		res.Stage, res.Error = "input", err.Error()
		return res
	}
	now, err := time.Parse(time.RFC3339Nano, req.Now)
	if err != nil {
		res.Stage, res.Error = "input", err.Error()
		return res
	}
	certs, err := parseCerts(req.CertsPem)
	if err != nil {
		res.Stage, res.Error = "input", err.Error()
		return res
	}
	auds := map[string]bool{req.EntityID: true, req.AcsURL: true}
	for _, a := range req.Audiences {
		auds[a] = true
	}
	sp := &serviceProvider{idpEntityID: req.IdpEntityID, acsURL: req.AcsURL, audiences: auds, requestIDs: req.RequestIDs,
		allowIdpInitiated: req.AllowIdpInitiated, certs: certs, now: now}
	err = sp.parseXMLResponse(raw, &p)
	fill(&res, &p)
	if err != nil {
		var se *stageError
		if errors.As(err, &se) {
			res.Stage, res.Error = se.stage, se.err.Error()
		} else {
			res.Stage, res.Error = "unknown", err.Error()
		}
		return res
	}
	res.OK = true
	return res
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 0, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for in.Scan() {
		line := strings.TrimSpace(in.Text())
		if line == "" {
			continue
		}
		var req request
		var res result
		if err := json.Unmarshal([]byte(line), &req); err != nil {
			res = result{OK: false, Stage: "input", Error: err.Error(), CrewjamElementToBytes: "document"}
		} else {
			res = runCase(req)
		}
		if err := enc.Encode(res); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		out.Flush()
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
